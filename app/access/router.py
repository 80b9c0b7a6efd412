"""HTTP API for door terminals: one photo (and maybe a badge) in, admit or reject out."""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from app.access import service
from app.access.schemas import PersonRef, VerifyOut
from app.admin.models import ApiKey
from app.core.auth import TERMINAL, require
from app.core.observability import DECISIONS
from app.runtime import Runtime, get_runtime

router = APIRouter(prefix="/v1/access", tags=["access"])


@router.post("/verify", response_model=VerifyOut)
async def verify(image: UploadFile = File(...), badge_id: str | None = Form(None), door_id: int | None = Form(None),
                 key: ApiKey = Depends(require(TERMINAL)), runtime: Runtime = Depends(get_runtime)) -> VerifyOut:
    data = await image.read(runtime.settings.max_upload_bytes + 1)

    def decide() -> VerifyOut:
        with runtime.db.session() as session:
            decision, event, threshold = service.verify(session, runtime, key, data, badge_id or None, door_id)
        DECISIONS.labels(decision=event.decision, reason=event.reason).inc()
        person = decision.person if decision.admitted or decision.mode == "badge" else None
        return VerifyOut(decision=event.decision, reason=event.reason,
                         person=PersonRef(id=person.id, name=person.name) if person else None,
                         distance=None if event.distance is None else round(event.distance, 4),
                         threshold=threshold, mode=decision.mode, event_id=event.id)

    return await run_in_threadpool(decide)
