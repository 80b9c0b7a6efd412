"""The authentication dependency: a bearer API key whose role allows the route."""
from __future__ import annotations

from fastapi import Depends, Request

from app.core.reasons import FORBIDDEN, INVALID_KEY, UNAUTHENTICATED, DomainError
from app.keys.models import ADMIN, ApiKey
from app.keys.service import find_key


def _authenticate(request: Request) -> ApiKey:
    header = request.headers.get("authorization", "")
    session_hook = getattr(request.app.state, "session_key", None)  # browser sessions (app/web)
    if not header and session_hook is not None and (key := session_hook(request)) is not None:
        return key
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        raise DomainError(UNAUTHENTICATED, "send Authorization: Bearer <key>")
    with request.app.state.db.session() as session:
        key = find_key(session, secret.strip())
    if key is None or key.revoked:
        raise DomainError(INVALID_KEY, "the API key is unknown or revoked")
    return key


def require(*roles: str):  # noqa: ANN201 - a FastAPI dependency
    """Dependency: the caller's key, which must have one of `roles` (admin always passes)."""
    def dependency(key: ApiKey = Depends(_authenticate)) -> ApiKey:
        if key.role != ADMIN and key.role not in roles:
            raise DomainError(FORBIDDEN, f"a {key.role} key cannot do this; it needs {' or '.join(roles)}")
        return key

    return dependency
