"""Access-rights API shapes. Window times and holidays are checked by app/rights/schedule.py,
so that a bad one answers with its own reason (invalid_window, overlapping_windows)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.ids import RowId
from app.core.schemas import RequestModel, UtcDatetime

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class GroupIn(RequestModel):
    name: str = Field(..., min_length=1, max_length=200)
    description: str | None = Field(None, max_length=1000)


class GroupPatch(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=1000)


class GroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str | None
    is_default: bool
    created_at: UtcDatetime


class WindowIn(RequestModel):
    days: list[Day] = Field(..., max_length=7)
    start: str = Field(..., max_length=5, examples=["08:00"])
    end: str = Field(..., max_length=5, examples=["18:00"])


class ScheduleIn(RequestModel):
    name: str = Field(..., min_length=1, max_length=200)
    windows: list[WindowIn] = Field(..., min_length=1, max_length=100)
    holidays: list[str] = Field(default_factory=list, max_length=1000)


class SchedulePut(RequestModel):
    """A schedule's windows and holidays, replaced together (its name and grants stay)."""
    windows: list[WindowIn] = Field(..., min_length=1, max_length=100)
    holidays: list[str] = Field(default_factory=list, max_length=1000)


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    always: bool
    windows: list[dict]
    holidays: list[str]


class GrantIn(RequestModel):
    group_id: RowId
    door_id: RowId
    schedule_id: RowId


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    group_id: int
    door_id: int
    schedule_id: int


class AreaDoorIn(RequestModel):
    door_id: RowId
    direction: Literal["entry", "exit"]


class AreaIn(RequestModel):
    name: str = Field(..., min_length=1, max_length=200)
    reset_minutes: int | None = Field(None, ge=1, le=60 * 24 * 366)
    doors: list[AreaDoorIn] = Field(..., min_length=1, max_length=1000)


class AreaOut(BaseModel):
    id: int
    name: str
    reset_minutes: int | None
    doors: list[AreaDoorIn]
