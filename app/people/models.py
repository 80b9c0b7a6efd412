"""People: who may be admitted; their face templates live with the gallery (app/gallery/models.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow
from app.gallery.models import FaceTemplate


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    employee_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    badge_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    valid_from: Mapped[datetime | None] = mapped_column()  # access rights start (contractors, visitors)
    valid_until: Mapped[datetime | None] = mapped_column()  # and end; None: open-ended
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    templates: Mapped[list[FaceTemplate]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="FaceTemplate.id")

