"""HTTP API for door terminals: one photo (and maybe a badge) in, admit or reject out."""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from app.access import service
from app.access.disclosure import TerminalVerifyOut, terminal_view
from app.access.schemas import PersonRef, VerifyOut
from app.core.edge import EdgeRoute, accepts_files
from app.core.ids import RowId
from app.core.observability import DECISIONS
from app.core.reasons import IMAGE_COUNT, WRONG_DOOR, DomainError
from app.core.sessions import SessionDep
from app.face.frames import MAX_FRAMES
from app.keys.auth import record_refusal, require
from app.keys.models import ADMIN, AUTH_FORBIDDEN, TERMINAL, ApiKey
from app.runtime import RuntimeDep

router = APIRouter(route_class=EdgeRoute, prefix="/v1/access", tags=["access"])


@router.post("/verify", response_model=VerifyOut | TerminalVerifyOut)
@accepts_files(1 + MAX_FRAMES)  # `image`, or up to MAX_FRAMES `images`
async def verify(request: Request, runtime: RuntimeDep, session: SessionDep, image: UploadFile | None = File(None),
                 images: list[UploadFile] | None = File(None), badge_id: str | None = Form(None),
                 door_id: RowId | None = Form(None),
                 key: ApiKey = Depends(require(TERMINAL))) -> VerifyOut | TerminalVerifyOut:
    """`image` (one photo) or `images` (1..5 frames of one person, fused by quality). An admin key
    gets the full answer; a terminal key the decision, a coarse reason and a display name on admit."""
    frames = ([image] if image is not None else []) + (images or [])
    if not 1 <= len(frames) <= MAX_FRAMES:
        raise DomainError(IMAGE_COUNT, f"send `image` or between 1 and {MAX_FRAMES} `images`")
    data = [await f.read(runtime.settings.max_upload_bytes + 1) for f in frames]
    verifier = service.Verifier.of(runtime)

    def decide() -> VerifyOut | TerminalVerifyOut:
        try:
            decision, event, threshold = service.verify(session, verifier, key, data, badge_id or None, door_id)
        except DomainError as exc:
            if exc.reason == WRONG_DOOR:  # a 403 like any other: audited with the client address
                record_refusal(request, AUTH_FORBIDDEN, WRONG_DOOR, key.id)
            raise
        DECISIONS.labels(decision=event.decision, reason=event.reason).inc()
        if key.role != ADMIN:
            return terminal_view(decision, event, runtime.settings.terminal_display_name)
        person = decision.person if event.decision == "admit" or decision.mode == "badge" else None
        return VerifyOut(decision=event.decision, reason=event.reason,
                         person=PersonRef(id=person.id, name=person.name) if person else None,
                         distance=None if event.distance is None else round(event.distance, 4),
                         threshold=threshold, mode=decision.mode, event_id=event.id)

    return await run_in_threadpool(decide)
