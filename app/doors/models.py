"""Doors and thresholds with their history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.security.chain import Chained, ChainSpec

FACE_MODE = "face"
BADGE_MODE = "badge"


class Door(Base):
    __tablename__ = "door"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    mode: Mapped[str] = mapped_column(String(10), default=FACE_MODE)
    threshold: Mapped[float | None] = mapped_column(Float)  # None: the global threshold applies
    time_zone: Mapped[str | None] = mapped_column(String(64))  # IANA name; None: FACEGATE_SITE_TIME_ZONE
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThresholdChange(Chained, Base):
    """Every threshold ever set; the latest global row (door_id NULL) is the one in force."""

    __tablename__ = "threshold_change"
    __chain__ = ChainSpec(fields=("door_id", "threshold", "previous", "reason", "api_key_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    door_id: Mapped[int | None] = mapped_column(ForeignKey("door.id"), index=True)
    threshold: Mapped[float | None] = mapped_column(Float)
    previous: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(500))
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

