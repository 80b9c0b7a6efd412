"""Face templates (a template's id is its FAISS id) and the change log of every insert/delete, in
commit order per replica view. The person table is named by its key only: the gallery knows no domain."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow

ADD = "add"
REMOVE = "remove"


class TemplateChange(Base):
    """Written in the same transaction as the template row, so replicas can follow SQL."""

    __tablename__ = "template_change"

    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(Integer, index=True)
    person_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaceTemplate(Base):
    __tablename__ = "face_template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, unit length
    model_id: Mapped[str] = mapped_column(String(100), index=True)
    probability: Mapped[float] = mapped_column(Float)
    face_px: Mapped[float] = mapped_column(Float)
    sharpness: Mapped[float] = mapped_column(Float)
    chip_png: Mapped[bytes | None] = mapped_column(LargeBinary)  # aligned crop: re-embed with a new model
    source_filename: Mapped[str | None] = mapped_column(String(300))
    loose_png: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed loose crop (app/face/loose.py)
    loose_geometry: Mapped[dict | None] = mapped_column(JSON)  # its landmarks, in crop pixels
    derived_from: Mapped[int | None] = mapped_column(Integer, index=True)  # re-embedded from this template
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    person: Mapped["Person"] = relationship(back_populates="templates")  # noqa: F821 - app.people.models


class ActiveModel(Base):
    """One row: the model whose template set the doors use, and the one before it (for rollback).
    Absent until the first switch: then the configured model card is in force."""

    __tablename__ = "active_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    model_id: Mapped[str] = mapped_column(String(100))
    previous_model_id: Mapped[str | None] = mapped_column(String(100))
    switched_at: Mapped[datetime] = mapped_column(default=utcnow)
