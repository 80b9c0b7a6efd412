"""The template change log: every insert/delete of a template, in commit order per replica view."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

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
