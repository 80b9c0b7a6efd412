"""The live door feed as server-sent events, read from the audit table so every replica sees every door."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from app.access.models import AccessEvent
from app.access.schemas import EventOut
from app.core.edge import EdgeRoute
from app.core.ids import MAX_ID, RowId
from app.keys.auth import require
from app.keys.models import ADMIN
from app.runtime import Runtime, get_runtime
from app.web import sessions

router = APIRouter(route_class=EdgeRoute, prefix="/web/events", tags=["web"], dependencies=[Depends(require(ADMIN))])

POLL_SECONDS = 0.5
RECHECK_SECONDS = 5.0  # a signed-out or revoked session stops receiving within this
STREAM_SECONDS = 300.0  # then the browser reconnects (EventSource does so by itself, with Last-Event-ID)


def _newer(runtime: Runtime, after: int, door_id: int | None, decision: str | None) -> list[EventOut]:
    query = select(AccessEvent).where(AccessEvent.id > after)
    if door_id is not None:
        query = query.where(AccessEvent.door_id == door_id)
    if decision is not None:
        query = query.where(AccessEvent.decision == decision)
    with runtime.db.session() as session:
        return [EventOut.model_validate(e) for e in session.scalars(query.order_by(AccessEvent.id).limit(200))]


def _latest_id(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.max(AccessEvent.id))) or 0)


def _still_signed_in(request: Request) -> bool:
    try:
        return request.headers.get("authorization") is not None or sessions.key_from_cookie(request) is not None
    except Exception:  # noqa: BLE001 - an ended session or revoked key ends the stream
        return False


@router.get("/stream", summary="New access events as they happen (text/event-stream)",
            responses={200: {"content": {"text/event-stream": {}}}})
async def stream(request: Request, door_id: RowId | None = None,
                 decision: str | None = Query(None, pattern="^(admit|reject)$"),
                 last_event_id: str | None = Header(None), runtime: Runtime = Depends(get_runtime)) -> StreamingResponse:
    resumable = last_event_id is not None and last_event_id.isdigit() and int(last_event_id) <= MAX_ID
    after = int(last_event_id) if resumable else await run_in_threadpool(_latest_id, runtime)

    async def events() -> AsyncIterator[str]:
        nonlocal after
        started = checked = time.monotonic()
        yield "retry: 2000\n\n"
        while time.monotonic() - started < STREAM_SECONDS and not await request.is_disconnected():
            if time.monotonic() - checked > RECHECK_SECONDS:
                if not await run_in_threadpool(_still_signed_in, request):
                    return
                checked = time.monotonic()
            for event in await run_in_threadpool(_newer, runtime, after, door_id, decision):
                after = event.id
                yield f"id: {event.id}\nevent: access\ndata: {json.dumps(event.model_dump(mode='json'))}\n\n"
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
