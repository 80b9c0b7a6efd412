"""Shapes of the browser-facing routes: sign-in, keys, terminal answers."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class SignIn(BaseModel):
    key: str = Field(..., min_length=1, max_length=200)


class SessionOut(BaseModel):
    role: str
    name: str
    door_id: int | None
    expires_at: datetime | None = None


class TerminalAnswer(BaseModel):
    """What a door terminal is told: the decision, a coarse reason, the name on admit. No scores."""
    decision: Literal["admit", "reject"]
    reason: Literal["admitted", "not_recognised", "look_again", "badge_required", "denied"]
    name: str | None
