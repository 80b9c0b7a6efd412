"""Access rights in SQL: groups of people, schedules, grants (group x door x schedule) and
anti-passback areas. People and doors are referred to by foreign key only: this package sits
below app.people and beside nothing it would need to import."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow

ENTRY, EXIT = "entry", "exit"


class AccessGroup(Base):
    __tablename__ = "access_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(String(1000))
    # The group people join when enrolled without `groups` (the migration's "everyone").
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMember(Base):
    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "person_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("access_group.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class Schedule(Base):
    """Weekly windows [{"days": ["mon", ...], "start": "HH:MM", "end": "HH:MM"}] in the door's time
    zone (end up to 24:00, after start: a night is two windows), holidays ["YYYY-MM-DD"] on which
    it does not apply; `always` is the built-in schedule that is open at every instant."""

    __tablename__ = "access_schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    always: Mapped[bool] = mapped_column(Boolean, default=False)
    windows: Mapped[list] = mapped_column(JSON, default=list)
    holidays: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Grant(Base):
    __tablename__ = "access_grant"
    __table_args__ = (UniqueConstraint("group_id", "door_id", "schedule_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("access_group.id", ondelete="CASCADE"), index=True)
    door_id: Mapped[int] = mapped_column(ForeignKey("door.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("access_schedule.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Area(Base):
    """An anti-passback area: admitted at an entry door, a person may not enter again until
    admitted at an exit door, `reset_minutes` pass, or an admin forgives them."""

    __tablename__ = "access_area"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    reset_minutes: Mapped[int | None] = mapped_column(Integer)  # None: only an exit or an admin resets
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AreaDoor(Base):
    """A door opens into (entry) or out of (exit) at most one area."""

    __tablename__ = "access_area_door"

    door_id: Mapped[int] = mapped_column(ForeignKey("door.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("access_area.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(5))


class AreaPresence(Base):
    """Who is inside an area, since when (the instant of the admitting decision)."""

    __tablename__ = "access_area_presence"

    area_id: Mapped[int] = mapped_column(ForeignKey("access_area.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    entered_at: Mapped[datetime] = mapped_column()
