"""Door decision and audit event shapes."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.core.schemas import RequestModel, UtcDatetime


class PersonRef(BaseModel):
    id: int
    name: str


class VerifyOut(BaseModel):
    decision: Literal["admit", "reject"]
    reason: str
    person: PersonRef | None
    distance: float | None
    threshold: float
    mode: Literal["face", "badge"]
    event_id: int


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: UtcDatetime
    door_id: int | None
    mode: str
    badge_id: str | None
    person_id: int | None
    person_name: str | None
    matched_person_id: int | None
    matched_person_name: str | None
    decision: str
    reason: str
    distance: float | None
    threshold: float
    model_id: str
    latency_ms: float
    face_probability: float | None
    face_px: float | None
    rule: dict | None
    label: str | None


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    offset: int
    limit: int


class EventLabel(RequestModel):
    label: Literal["genuine", "impostor"] | None
