"""HTTP API for API keys (admin): create (the secret is in this answer only), list, revoke;
and the audit chain's verification."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from app.core.edge import EdgeRoute
from app.core.ids import RowId
from app.core.schemas import RequestModel, UtcDatetime
from app.core.sessions import SessionDep
from app.keys import service
from app.keys.auth import require
from app.keys.models import ADMIN, ApiKey
from app.runtime import RuntimeDep

router = APIRouter(route_class=EdgeRoute, prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require(ADMIN))])


class KeyIn(RequestModel):
    role: Literal["admin", "enroll", "terminal"]
    name: str = Field(min_length=1, max_length=200)
    door_id: int | None = Field(None, ge=1, le=2**31 - 1)


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str
    door_id: int | None
    prefix: str | None
    bootstrap: bool
    revoked: bool
    created_at: UtcDatetime


class NewKeyOut(KeyOut):
    key: str  # shown once


@router.post("/keys", status_code=201, response_model=NewKeyOut)
def create_key(body: KeyIn, runtime: RuntimeDep, session: SessionDep,
               caller: ApiKey = Depends(require(ADMIN))) -> NewKeyOut:
    row, secret = service.create_key(session, runtime.secret, body.role, body.name, body.door_id,
                                     actor_key_id=caller.id)
    return NewKeyOut(**KeyOut.model_validate(row).model_dump(), key=secret)


@router.get("/keys", response_model=list[KeyOut])
def list_keys(session: SessionDep) -> list[KeyOut]:
    return [KeyOut.model_validate(k) for k in service.list_keys(session)]


@router.delete("/keys/{key_id}", status_code=204)
def revoke_key(key_id: RowId, session: SessionDep, caller: ApiKey = Depends(require(ADMIN))) -> Response:
    service.revoke_key(session, key_id, actor_key_id=caller.id)
    return Response(status_code=204)


@router.get("/audit/verify")
def verify_audit(runtime: RuntimeDep, session: SessionDep) -> dict:
    """Every chained table walked: ok, or the first edited, deleted or inserted row per table."""
    return runtime.chain.verify(session)
