"""Sign-in for browsers: an API key, posted once, is exchanged for an HttpOnly session cookie.

Only SHA-256 hashes of the session token and of its CSRF token are stored, so a database
reader cannot replay a session. Changes (any method but GET/HEAD/OPTIONS) must echo the CSRF
token in a header; the page reads it from a second, script-readable cookie (double submit) and
the server also checks it against the session's own hash, so a token planted by a sibling
site does not pass.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.reasons import CSRF_FAILED, INVALID_KEY, SESSION_EXPIRED, DomainError
from app.keys.models import ADMIN, ENROLL, TERMINAL, ApiKey
from app.keys.service import find_key
from app.security.secret import ServerSecret
from app.web.models import WebSession

SESSION_COOKIE = "fg_session"
CSRF_COOKIE = "fg_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A console is signed in for a working day; a door terminal is configured once and stays so.
LIFETIME = {ADMIN: timedelta(hours=12), ENROLL: timedelta(hours=12), TERMINAL: timedelta(days=365)}


@dataclass(frozen=True)
class NewSession:
    key: ApiKey
    token: str
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    """Session and CSRF tokens are 256-bit random strings: a plain hash suffices (no dictionary to attack)."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(session: Session, server_secret: ServerSecret, secret: str) -> NewSession:
    """Open a session for a valid, unrevoked key; the secret itself is never stored or sent back."""
    key = find_key(session, server_secret, secret.strip())
    if key is None or key.revoked:
        raise DomainError(INVALID_KEY, "the API key is unknown or revoked")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = utcnow() + LIFETIME[key.role]
    session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))  # tidy up as we go
    session.add(WebSession(token_hash=token_hash(token), csrf_hash=token_hash(csrf), api_key_id=key.id,
                           expires_at=expires))
    session.commit()
    return NewSession(key, token, csrf, expires)


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))
    session.commit()


def end_sessions_of(session: Session, key_id: int) -> None:
    """A revoked key's sessions go at once (they would be refused anyway: each request checks the key)."""
    session.execute(delete(WebSession).where(WebSession.api_key_id == key_id))


def session_row(session: Session, token: str) -> tuple[WebSession, ApiKey] | None:
    row = session.execute(select(WebSession, ApiKey).join(ApiKey, ApiKey.id == WebSession.api_key_id)
                          .where(WebSession.token_hash == token_hash(token), WebSession.expires_at > utcnow())).first()
    return (row[0], row[1]) if row else None


def key_from_cookie(request: Request) -> ApiKey | None:
    """The auth hook: the key behind the request's session cookie, None when there is no cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with request.app.state.runtime.db.session() as session:
        found = session_row(session, token)
    if found is None:
        raise DomainError(SESSION_EXPIRED, "the session has ended; sign in again")
    web_session, key = found
    if key.revoked:
        raise DomainError(INVALID_KEY, "the API key is unknown or revoked")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not sent or not hmac.compare_digest(sent, cookie) or \
                not hmac.compare_digest(token_hash(sent), web_session.csrf_hash):
            raise DomainError(CSRF_FAILED, f"send the {CSRF_HEADER} header with the session's CSRF token")
    return key
