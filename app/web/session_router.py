"""Sign-in, who-am-I and sign-out for the console and the terminal."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from app.core.db import utcnow
from app.core.edge import EdgeRoute
from app.keys.auth import require
from app.keys.models import ROLES, ApiKey
from app.runtime import Runtime, get_runtime
from app.web import sessions
from app.web.schemas import SessionOut, SignIn

router = APIRouter(route_class=EdgeRoute, prefix="/web/session", tags=["web"])


def _set_cookies(request: Request, response: Response, new: sessions.NewSession) -> None:
    secure = request.url.scheme == "https"
    max_age = int((new.expires_at - utcnow()).total_seconds())
    response.set_cookie(sessions.SESSION_COOKIE, new.token, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")
    # Readable by the page's script on purpose: it echoes it in the CSRF header.
    response.set_cookie(sessions.CSRF_COOKIE, new.csrf_token, max_age=max_age, httponly=False,
                        samesite="strict", secure=secure, path="/")


@router.post("", response_model=SessionOut, summary="Sign in: exchange an API key for a session cookie",
             responses={401: {"description": "unknown or revoked key"}})
def sign_in(body: SignIn, request: Request, response: Response,
            runtime: Runtime = Depends(get_runtime)) -> SessionOut:
    with runtime.db.session() as session:
        new = sessions.sign_in(session, runtime.secret, body.key)
    _set_cookies(request, response, new)
    return SessionOut(role=new.key.role, name=new.key.name, door_id=new.key.door_id, expires_at=new.expires_at)


@router.get("", response_model=SessionOut, summary="The signed-in key's role, name and door")
def who_am_i(key: ApiKey = Depends(require(*ROLES))) -> SessionOut:
    return SessionOut(role=key.role, name=key.name, door_id=key.door_id)


@router.delete("", status_code=204, summary="Sign out (ends the session on every replica)",
               dependencies=[Depends(require(*ROLES))])
def sign_out(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    token = request.cookies.get(sessions.SESSION_COOKIE)
    if token:
        with runtime.db.session() as session:
            sessions.sign_out(session, token)
    response = Response(status_code=204)
    response.delete_cookie(sessions.SESSION_COOKIE, path="/")
    response.delete_cookie(sessions.CSRF_COOKIE, path="/")
    return response
