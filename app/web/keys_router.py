"""API keys for the console: list, create (the secret shown once), revoke."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select

from app.core.reasons import DOOR_NEEDS_TERMINAL, UNKNOWN_KEY, DomainError
from app.core.sessions import SessionDep
from app.doors.service import get_door
from app.keys.auth import require
from app.keys.models import ADMIN, ApiKey
from app.keys.service import create_key
from app.web.schemas import KeyIn, KeyOut, NewKeyOut
from app.web.sessions import end_sessions_of

router = APIRouter(prefix="/v1/admin/keys", tags=["keys"], dependencies=[Depends(require(ADMIN))])


@router.get("", response_model=list[KeyOut], summary="All API keys (never their secrets)")
def list_keys(session: SessionDep) -> list[KeyOut]:
    return [KeyOut.model_validate(k) for k in session.scalars(select(ApiKey).order_by(ApiKey.id))]


@router.post("", status_code=201, response_model=NewKeyOut, summary="Create a key; its secret is in this answer only",
             responses={404: {"description": "unknown door"}, 422: {"description": "invalid request"}})
def new_key(body: KeyIn, session: SessionDep) -> NewKeyOut:
    if body.door_id is not None:
        if body.role != "terminal":
            raise DomainError(DOOR_NEEDS_TERMINAL, "only terminal keys are bound to a door")
        get_door(session, body.door_id)
    row, secret = create_key(session, body.role, body.name, body.door_id)
    return NewKeyOut(**KeyOut.model_validate(row).model_dump(), key=secret)


@router.post("/{key_id}/revoke", response_model=KeyOut, summary="Revoke a key and end its browser sessions",
             responses={404: {"description": "unknown key"}})
def revoke_key(key_id: int, session: SessionDep) -> KeyOut:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise DomainError(UNKNOWN_KEY, f"key {key_id} does not exist")
    row.revoked = True
    end_sessions_of(session, key_id)
    session.commit()
    return KeyOut.model_validate(row)
