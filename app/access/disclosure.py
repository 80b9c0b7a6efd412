"""What a terminal-role caller is told of a door decision: the outcome, a coarse reason and, on
admit only, a display name.

A terminal key can be stolen or a door screen read over a shoulder: the distance would let an
attacker tune a photo until it passes, and a name on a refusal maps badge numbers to people.
Admin keys get the full answer and the audit event keeps everything.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from app.access.models import AccessEvent
from app.access.service import (ADMITTED, BADGE_MISMATCH, BADGE_REQUIRED, INACTIVE, NO_MATCH, UNKNOWN_BADGE,
                                Decision)
from app.core.reasons import (FACE_TOO_BLURRY, FACE_TOO_SMALL, IMAGE_TOO_LARGE, IMAGE_TOO_SMALL, INTERNAL_ERROR,
                              MULTIPLE_FACES, NO_FACE, NOT_AN_IMAGE)
from app.rights.check import ANTI_PASSBACK, EXPIRED, NOT_AUTHORIZED, NOT_YET_VALID, OUTSIDE_SCHEDULE

CoarseReason = Literal["admitted", "not_recognised", "look_again", "badge_required", "not_allowed_now", "denied"]
DisplayName = Literal["full", "first", "none"]

COARSE_REASON: dict[str, CoarseReason] = {
    ADMITTED: "admitted",
    # Never say that the badge exists or whose it is.
    NO_MATCH: "not_recognised", UNKNOWN_BADGE: "not_recognised", BADGE_MISMATCH: "not_recognised",
    NO_FACE: "look_again", MULTIPLE_FACES: "look_again", FACE_TOO_SMALL: "look_again", FACE_TOO_BLURRY: "look_again",
    NOT_AN_IMAGE: "look_again", IMAGE_TOO_LARGE: "look_again", IMAGE_TOO_SMALL: "look_again",
    BADGE_REQUIRED: "badge_required",
    INACTIVE: "not_allowed_now", NOT_AUTHORIZED: "not_allowed_now", OUTSIDE_SCHEDULE: "not_allowed_now",
    NOT_YET_VALID: "not_allowed_now", EXPIRED: "not_allowed_now", ANTI_PASSBACK: "not_allowed_now",
    INTERNAL_ERROR: "denied",
}


class TerminalVerifyOut(BaseModel):
    """A terminal's answer: no distance, no threshold, no name unless admitted."""
    decision: Literal["admit", "reject"]
    reason: CoarseReason
    display_name: str | None = None
    event_id: int | None = None


def coarse(reason: str) -> CoarseReason:
    """The coarse reason of a fine one; a code this table does not know is just `denied`."""
    return COARSE_REASON.get(reason, "denied")


def display_name(name: str, policy: DisplayName) -> str | None:
    """The name shown at the door on admit: the whole name, the first word of it, or none."""
    if policy == "none":
        return None
    return name if policy == "full" else name.split()[0]


def terminal_view(decision: Decision, event: AccessEvent, policy: DisplayName) -> TerminalVerifyOut:
    """The decision as a terminal sees it (the audit event keeps the fine reason and the scores)."""
    admitted = event.decision == "admit" and decision.person is not None
    return TerminalVerifyOut(decision="admit" if admitted else "reject", reason=coarse(event.reason),
                             display_name=display_name(decision.person.name, policy) if admitted else None,
                             event_id=event.id)
