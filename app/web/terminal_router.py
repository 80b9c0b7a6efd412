"""The door terminal's own verify: the same decision as /v1/access/verify, told in fewer words.

A terminal shows a passer-by the outcome, so it gets what app/access/disclosure.py allows a
terminal: the decision, a coarse reason, a display name on admit; the rest stays in the audit.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from app.access import service
from app.access.disclosure import TerminalVerifyOut, terminal_view
from app.core.edge import EdgeRoute, accepts_files
from app.core.observability import DECISIONS
from app.core.reasons import DOOR_REQUIRED, DomainError
from app.keys.auth import require
from app.keys.models import TERMINAL, ApiKey
from app.runtime import Runtime, get_runtime

router = APIRouter(route_class=EdgeRoute, prefix="/web/terminal", tags=["web"])


@router.post("/verify", response_model=TerminalVerifyOut, summary="Verify at this terminal's door (coarse answer)",
             responses={403: {"description": "not a door-bound terminal key"}})
@accepts_files(1)
async def terminal_verify(image: UploadFile = File(...), badge_id: str | None = Form(None, max_length=100),
                          key: ApiKey = Depends(require(TERMINAL)),
                          runtime: Runtime = Depends(get_runtime)) -> TerminalVerifyOut:
    if key.door_id is None:
        raise DomainError(DOOR_REQUIRED, "the terminal needs a key bound to a door")
    data = await image.read(runtime.settings.max_upload_bytes + 1)

    verifier = service.Verifier.of(runtime)

    def decide() -> TerminalVerifyOut:
        with runtime.db.session() as session:
            try:
                decision, event, _ = service.verify(session, verifier, key, [data], badge_id or None, None)
            except DomainError as exc:  # an unreadable frame is audited; the terminal just tries again
                if "event_id" not in exc.extra:
                    raise
                return TerminalVerifyOut(decision="reject", reason="look_again", event_id=exc.extra["event_id"])
        DECISIONS.labels(decision=event.decision, reason=event.reason).inc()
        return terminal_view(decision, event, runtime.settings.terminal_display_name)

    return await run_in_threadpool(decide)
