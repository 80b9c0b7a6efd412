"""API keys: random secrets stored as HMAC-SHA256 under the server secret (a copied database or
backup does not let anyone test guesses offline); create, find, list and revoke them, each change
recorded as a chained security event."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.reasons import DOOR_REQUIRED, INVALID_REQUEST, UNKNOWN_DOOR, UNKNOWN_KEY, DomainError
from app.keys.models import (
    HMAC_SCHEME,
    KEY_CREATED,
    KEY_REVOKED,
    LEGACY_SHA256,
    ROLES,
    TERMINAL,
    ApiKey,
    SecurityEvent,
)
from app.security.secret import ServerSecret

GENERATED_PREFIX = "fg_"


def hash_key(server_secret: ServerSecret, key: str) -> str:
    return server_secret.mac("api-key", key.encode())


def _legacy_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, server_secret: ServerSecret, role: str, name: str, door_id: int | None = None,
               key: str | None = None, bootstrap: bool = False, actor_key_id: int | None = None
               ) -> tuple[ApiKey, str]:
    """Store a new key (or a given one, e.g. FACEGATE_ADMIN_KEY); returns it with its secret, which
    is never stored: only a generated key keeps its first characters, to be told apart in lists."""
    if role not in ROLES:
        raise DomainError(INVALID_REQUEST, f"role must be one of {', '.join(ROLES)}")
    if door_id is not None and role != TERMINAL:
        raise DomainError(INVALID_REQUEST, "only a terminal key can be bound to a door")
    if role == TERMINAL and door_id is None:
        raise DomainError(DOOR_REQUIRED, "a terminal key speaks for one door: name it (--door)")
    secret = key or GENERATED_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(server_secret, secret), hash_scheme=HMAC_SCHEME,
                 prefix=None if key else secret[:8], role=role, door_id=door_id, bootstrap=bootstrap)
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # the door foreign key (the only constraint a fresh random hash can break)
        session.rollback()
        raise DomainError(UNKNOWN_DOOR, f"door {door_id} does not exist") from exc
    session.add(SecurityEvent(kind=KEY_CREATED, api_key_id=row.id, actor_key_id=actor_key_id,
                              detail=f"{role} key {name!r}" + (f" for door {door_id}" if door_id else "")))
    session.commit()
    return row, secret


def find_key(session: Session, server_secret: ServerSecret, secret: str) -> ApiKey | None:
    """The key with this secret; a legacy SHA-256 row is re-hashed under the server secret on first use."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(server_secret, secret)))
    if row is not None:
        return row
    legacy = session.scalar(select(ApiKey).where(ApiKey.key_hash == _legacy_hash(secret),
                                                 ApiKey.hash_scheme == LEGACY_SHA256))
    if legacy is not None:
        legacy.key_hash, legacy.hash_scheme = hash_key(server_secret, secret), HMAC_SCHEME
        session.commit()
    return legacy


def ensure_bootstrap_key(session: Session, server_secret: ServerSecret, secret: str) -> ApiKey:
    """The FACEGATE_ADMIN_KEY admin key exists; a bootstrap key made from an earlier value is revoked."""
    current = find_key(session, server_secret, secret)
    if current is None:
        current, _ = create_key(session, server_secret, "admin", "FACEGATE_ADMIN_KEY", key=secret, bootstrap=True)
    for old in session.scalars(select(ApiKey).where(ApiKey.bootstrap.is_(True), ApiKey.revoked.is_(False),
                                                    ApiKey.id != current.id)).all():
        revoke_key(session, old.id, detail="FACEGATE_ADMIN_KEY changed")
    return current


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id: int, actor_key_id: int | None = None, detail: str | None = None) -> ApiKey:
    """Revoke a key for good (again is fine); UNKNOWN_KEY if there is no such key."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise DomainError(UNKNOWN_KEY, f"no key {key_id}")
    if not row.revoked:
        row.revoked = True
        session.add(SecurityEvent(kind=KEY_REVOKED, api_key_id=row.id, actor_key_id=actor_key_id, detail=detail))
        session.commit()
    return row
