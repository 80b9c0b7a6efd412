"""API keys for the console: list, create (the secret shown once), revoke."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin.models import ApiKey
from app.admin.service import get_door
from app.core.auth import ADMIN, create_key, require
from app.core.errors import ApiError
from app.runtime import Runtime, get_runtime
from app.web.schemas import KeyIn, KeyOut, NewKeyOut
from app.web.sessions import end_sessions_of

router = APIRouter(prefix="/v1/admin/keys", tags=["keys"], dependencies=[Depends(require(ADMIN))])


def _session(runtime: Runtime = Depends(get_runtime)):  # noqa: ANN202 - generator dependency
    yield from runtime.db.scoped()


@router.get("", response_model=list[KeyOut], summary="All API keys (never their secrets)")
def list_keys(session: Session = Depends(_session)) -> list[KeyOut]:
    return [KeyOut.model_validate(k) for k in session.scalars(select(ApiKey).order_by(ApiKey.id))]


@router.post("", status_code=201, response_model=NewKeyOut, summary="Create a key; its secret is in this answer only",
             responses={404: {"description": "unknown door"}, 422: {"description": "invalid request"}})
def new_key(body: KeyIn, session: Session = Depends(_session)) -> NewKeyOut:
    if body.door_id is not None:
        if body.role != "terminal":
            raise ApiError(422, "door_needs_terminal", "only terminal keys are bound to a door")
        get_door(session, body.door_id)
    row, secret = create_key(session, body.role, body.name, body.door_id)
    return NewKeyOut(**KeyOut.model_validate(row).model_dump(), key=secret)


@router.post("/{key_id}/revoke", response_model=KeyOut, summary="Revoke a key and end its browser sessions",
             responses={404: {"description": "unknown key"}})
def revoke_key(key_id: int, session: Session = Depends(_session)) -> KeyOut:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise ApiError(404, "unknown_key", f"key {key_id} does not exist")
    row.revoked = True
    end_sessions_of(session, key_id)
    session.commit()
    return KeyOut.model_validate(row)
