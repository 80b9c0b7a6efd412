"""Shapes of the browser-facing routes: sign-in, keys, terminal answers."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SignIn(BaseModel):
    key: str = Field(..., min_length=1, max_length=200)


class SessionOut(BaseModel):
    role: str
    name: str
    door_id: int | None
    expires_at: datetime | None = None


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=200)
    role: Literal["admin", "enroll", "terminal"]
    door_id: int | None = None


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    role: str
    door_id: int | None
    revoked: bool
    created_at: datetime


class NewKeyOut(KeyOut):
    key: str  # the secret, shown once


class TerminalAnswer(BaseModel):
    """What a door terminal is told: the decision, a coarse reason, the name on admit. No scores."""
    decision: Literal["admit", "reject"]
    reason: Literal["admitted", "not_recognised", "look_again", "badge_required", "denied"]
    name: str | None
