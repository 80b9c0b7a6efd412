"""The append-only audit trail of door decisions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.security.chain import Chained, ChainSpec


class AccessEvent(Chained, Base):
    __tablename__ = "access_event"
    # The label is an admin's later judgement, not part of the record; names are chained apart.
    __chain__ = ChainSpec(fields=("created_at", "door_id", "mode", "badge_id", "person_id", "matched_person_id",
                                  "decision", "reason", "distance", "threshold", "model_id", "latency_ms",
                                  "face_probability", "face_px", "api_key_id"),
                          names=(("person_name", "person_id"), ("matched_person_name", "matched_person_id")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    door_id: Mapped[int | None] = mapped_column(Integer, index=True)
    mode: Mapped[str] = mapped_column(String(10))
    badge_id: Mapped[str | None] = mapped_column(String(100))
    # Kept as plain values, not foreign keys: the trail outlives the people in it.
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    person_name: Mapped[str | None] = mapped_column(String(200))
    matched_person_id: Mapped[int | None] = mapped_column(Integer)  # whom the face matched, when not the holder
    matched_person_name: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(10), index=True)
    reason: Mapped[str] = mapped_column(String(40), index=True)
    distance: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    model_id: Mapped[str] = mapped_column(String(100))
    latency_ms: Mapped[float] = mapped_column(Float)
    face_probability: Mapped[float | None] = mapped_column(Float)
    face_px: Mapped[float | None] = mapped_column(Float)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[dict | None] = mapped_column(JSON)  # the access rule that decided (app/rights/check.py)
    label: Mapped[str | None] = mapped_column(String(10))  # genuine / impostor, set by an admin
    labelled_at: Mapped[datetime | None] = mapped_column()
