"""Shapes of the browser-facing routes: sign-in, keys, sessions."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SignIn(BaseModel):
    key: str = Field(..., min_length=1, max_length=200)


class SessionOut(BaseModel):
    role: str
    name: str
    door_id: int | None
    expires_at: datetime | None = None
