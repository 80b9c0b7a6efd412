"""The door terminal's own verify: the same decision as /v1/access/verify, told in fewer words.

A terminal shows a passer-by the outcome, so it gets the decision, a coarse reason and the name
on admit only; distances, thresholds and whom a refused face resembled stay in the audit trail.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from app.access import service
from app.core.edge import EdgeRoute, accepts_files
from app.core.observability import DECISIONS
from app.core.reasons import DOOR_REQUIRED, DomainError
from app.keys.auth import require
from app.keys.models import TERMINAL, ApiKey
from app.runtime import Runtime, get_runtime
from app.web.schemas import TerminalAnswer

router = APIRouter(route_class=EdgeRoute, prefix="/web/terminal", tags=["web"])

COARSE_REASON = {
    "admitted": "admitted",
    "no_match": "not_recognised", "badge_mismatch": "not_recognised", "unknown_badge": "not_recognised",
    "no_face": "look_again", "multiple_faces": "look_again", "face_too_small": "look_again",
    "not_an_image": "look_again", "image_too_large": "look_again", "image_too_small": "look_again",
    "badge_required": "badge_required",
}


def coarse(reason: str) -> str:
    return COARSE_REASON.get(reason, "denied")  # e.g. inactive: refused, without saying why


@router.post("/verify", response_model=TerminalAnswer, summary="Verify at this terminal's door (coarse answer)",
             responses={403: {"description": "not a door-bound terminal key"}})
@accepts_files(1)
async def terminal_verify(image: UploadFile = File(...), badge_id: str | None = Form(None, max_length=100),
                          key: ApiKey = Depends(require(TERMINAL)),
                          runtime: Runtime = Depends(get_runtime)) -> TerminalAnswer:
    if key.door_id is None:
        raise DomainError(DOOR_REQUIRED, "the terminal needs a key bound to a door")
    data = await image.read(runtime.settings.max_upload_bytes + 1)

    verifier = service.Verifier.of(runtime)

    def decide() -> TerminalAnswer:
        with runtime.db.session() as session:
            try:
                decision, event, _ = service.verify(session, verifier, key, [data], badge_id or None, None)
            except DomainError as exc:  # an unreadable frame is audited; the terminal just tries again
                if "event_id" not in exc.extra:
                    raise
                return TerminalAnswer(decision="reject", reason="look_again", name=None)
        DECISIONS.labels(decision=event.decision, reason=event.reason).inc()
        name = decision.person.name if decision.admitted and decision.person else None
        return TerminalAnswer(decision=event.decision, reason=coarse(event.reason), name=name)

    return await run_in_threadpool(decide)
