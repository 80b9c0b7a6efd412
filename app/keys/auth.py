"""The authentication dependency: a bearer API key whose role allows the route. Failures are
rate-limited per client address and every 401/403 is recorded as a security event.

The check also runs before the request body is read (its `before_body` hook, called by
app/core/edge.py), so a caller without a valid key never gets an upload read; the key found
then is kept on the request for the dependency itself."""
from __future__ import annotations

from fastapi import Depends, Request

from app.core.reasons import FORBIDDEN, INVALID_KEY, TOO_MANY_ATTEMPTS, UNAUTHENTICATED, DomainError
from app.keys.models import ADMIN, AUTH_FAILED, AUTH_FORBIDDEN, ApiKey, SecurityEvent
from app.keys.service import find_key


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def record_refusal(request: Request, kind: str, detail: str, key_id: int | None = None) -> None:
    with request.app.state.db.session() as session:
        session.add(SecurityEvent(kind=kind, api_key_id=key_id, client=client_address(request)[:64],
                                  detail=f"{request.method} {request.url.path}: {detail}"[:300]))
        session.commit()


def _refuse(request: Request, reason: str, message: str, kind: str = AUTH_FAILED,
            key_id: int | None = None) -> DomainError:
    request.app.state.runtime.auth_limiter.failed(client_address(request))
    record_refusal(request, kind, reason, key_id)
    return DomainError(reason, message)


def _authenticate(request: Request) -> ApiKey:
    checked = getattr(request.state, "api_key", None)  # found before the body was read
    if checked is not None:
        return checked
    runtime = request.app.state.runtime
    client = client_address(request)
    wait = runtime.auth_limiter.retry_after(client)
    if wait is not None:
        raise DomainError(TOO_MANY_ATTEMPTS, f"too many failed attempts from {client}; retry in {wait} s",
                          retry_after=wait)
    header = request.headers.get("authorization", "")
    session_hook = getattr(request.app.state, "session_key", None)  # browser sessions (app/web)
    if not header and session_hook is not None and (key := session_hook(request)) is not None:
        return key
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _refuse(request, UNAUTHENTICATED, "send Authorization: Bearer <key>")
    with runtime.db.session() as session:
        key = find_key(session, runtime.secret, secret.strip())
    if key is None or key.revoked:
        raise _refuse(request, INVALID_KEY, "the API key is unknown or revoked", key_id=key.id if key else None)
    return key


def require(*roles: str):  # noqa: ANN201 - a FastAPI dependency
    """Dependency: the caller's key, which must have one of `roles` (admin always passes)."""
    def dependency(request: Request, key: ApiKey = Depends(_authenticate)) -> ApiKey:
        if key.role != ADMIN and key.role not in roles:
            raise _refuse(request, FORBIDDEN, f"a {key.role} key cannot do this; it needs {' or '.join(roles)}",
                          AUTH_FORBIDDEN, key.id)
        return key

    def before_body(request: Request) -> None:
        request.state.api_key = dependency(request, _authenticate(request))

    dependency.before_body = before_body  # type: ignore[attr-defined]
    return dependency
