"""API keys: random secrets stored as SHA-256 hashes; create, find, list and revoke them."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.reasons import DOOR_REQUIRED, UNKNOWN_DOOR, DomainError
from app.keys.models import ROLES, TERMINAL, ApiKey


def hash_key(key: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, role: str, name: str, door_id: int | None = None,
               key: str | None = None) -> tuple[ApiKey, str]:
    """Store a new key (or a given one, e.g. FACEGATE_ADMIN_KEY); returns it with its secret."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if role == TERMINAL and door_id is None:
        raise DomainError(DOOR_REQUIRED, "a terminal key speaks for one door: name it (--door)")
    secret = key or "fg_" + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(secret), prefix=secret[:8], role=role, door_id=door_id)
    session.add(row)
    try:
        session.commit()
    except IntegrityError as exc:  # the door's foreign key (keys sit beside doors, not above them)
        session.rollback()
        raise DomainError(UNKNOWN_DOOR, f"door {door_id} does not exist") from exc
    return row, secret


def find_key(session: Session, secret: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))


def ensure_key(session: Session, secret: str, role: str, name: str) -> None:
    """Make sure a configured key exists (idempotent across restarts and replicas)."""
    if find_key(session, secret) is None:
        create_key(session, role, name, key=secret)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id: int) -> ApiKey | None:
    """Revoke a key for good; None if there is no such key."""
    row = session.get(ApiKey, key_id)
    if row is not None:
        row.revoked = True
        session.commit()
    return row
