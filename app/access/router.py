"""HTTP API for door terminals: one photo (and maybe a badge) in, admit or reject out."""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from app.access import service
from app.access.schemas import PersonRef, VerifyOut
from app.core.observability import DECISIONS
from app.core.sessions import SessionDep
from app.keys.auth import require
from app.keys.models import TERMINAL, ApiKey
from app.runtime import RuntimeDep

router = APIRouter(prefix="/v1/access", tags=["access"])


@router.post("/verify", response_model=VerifyOut)
async def verify(runtime: RuntimeDep, session: SessionDep, image: UploadFile = File(...), badge_id: str | None = Form(None),
                 door_id: int | None = Form(None), key: ApiKey = Depends(require(TERMINAL))) -> VerifyOut:
    data = await image.read(runtime.settings.max_upload_bytes + 1)
    verifier = service.Verifier(runtime.face_worker, runtime.gallery, runtime.thresholds, runtime.model_id)

    def decide() -> VerifyOut:
        decision, event, threshold = service.verify(session, verifier, key, data, badge_id or None, door_id)
        DECISIONS.labels(decision=event.decision, reason=event.reason).inc()
        person = decision.person if decision.admitted or decision.mode == "badge" else None
        return VerifyOut(decision=event.decision, reason=event.reason,
                         person=PersonRef(id=person.id, name=person.name) if person else None,
                         distance=None if event.distance is None else round(event.distance, 4),
                         threshold=threshold, mode=decision.mode, event_id=event.id)

    return await run_in_threadpool(decide)
