"""Shapes of the browser-facing routes: sign-in, keys, sessions."""
from __future__ import annotations


from pydantic import BaseModel, Field

from app.core.schemas import RequestModel, UtcDatetime


class SignIn(RequestModel):
    key: str = Field(..., min_length=1, max_length=200)


class SessionOut(BaseModel):
    role: str
    name: str
    door_id: int | None
    expires_at: UtcDatetime | None = None
