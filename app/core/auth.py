"""API keys: random secrets stored as SHA-256 hashes, each with a role and an optional door."""
from __future__ import annotations

import hashlib
import secrets

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin.models import ApiKey
from app.core.errors import ApiError

ADMIN, ENROLL, TERMINAL = "admin", "enroll", "terminal"
ROLES = (ADMIN, ENROLL, TERMINAL)


def hash_key(key: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, role: str, name: str, door_id: int | None = None,
               key: str | None = None) -> tuple[ApiKey, str]:
    """Store a new key (or a given one, e.g. FACEGATE_ADMIN_KEY); returns it with its secret."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    secret = key or "fg_" + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(secret), prefix=secret[:8], role=role, door_id=door_id)
    session.add(row)
    session.commit()
    return row, secret


def ensure_key(session: Session, secret: str, role: str, name: str) -> None:
    """Make sure a configured key exists (idempotent across restarts and replicas)."""
    if session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))) is None:
        create_key(session, role, name, key=secret)


def _authenticate(request: Request) -> ApiKey:
    header = request.headers.get("authorization", "")
    session_hook = getattr(request.app.state, "session_key", None)  # browser sessions (app/web)
    if not header and session_hook is not None and (key := session_hook(request)) is not None:
        return key
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <key>")
    with request.app.state.runtime.db.session() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret.strip())))
    if key is None or key.revoked:
        raise ApiError(401, "invalid_key", "the API key is unknown or revoked")
    return key


def require(*roles: str):  # noqa: ANN201 - a FastAPI dependency
    """Dependency: the caller's key, which must have one of `roles` (admin always passes)."""
    def dependency(key: ApiKey = Depends(_authenticate)) -> ApiKey:
        if key.role != ADMIN and key.role not in roles:
            raise ApiError(403, "forbidden", f"a {key.role} key cannot do this; it needs {' or '.join(roles)}")
        return key

    return dependency
