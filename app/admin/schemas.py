"""Admin API shapes: thresholds, calibration, doors."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.ids import RowId
from app.core.schemas import RequestModel, UtcDatetime


class ThresholdOut(BaseModel):
    threshold: float
    metric: Literal["l2"] = "l2"
    model_default: float
    face_only_default: float  # what face-only decisions use while no threshold is set (card bound, gallery size)
    measured_range: list[float] | None  # [lowest, highest] distance the card's false-match rates were measured at
    doors: dict[str, float | None]


class ThresholdIn(RequestModel):
    threshold: float | None = Field(..., ge=0.0, le=2.0)
    door_id: RowId | None = None
    reason: str = Field(..., min_length=1, max_length=500, pattern=r"\S")  # why: kept in the history
    confirm_outside_measured_range: bool = False  # needed for a threshold outside ThresholdOut.measured_range


class ThresholdChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    door_id: int | None
    threshold: float | None
    previous: float | None
    reason: str | None
    api_key_id: int | None
    created_at: UtcDatetime


class CalibrateIn(RequestModel):
    target_far: float = Field(0.001, gt=0.0, lt=1.0)
    door_id: RowId | None = None
    apply: bool = False


class DoorIn(RequestModel):
    name: str = Field(..., min_length=1, max_length=200)
    mode: Literal["face", "badge"] = "face"
    threshold: float | None = Field(None, ge=0.0, le=2.0)
    time_zone: str | None = Field(None, max_length=64)  # IANA; None: FACEGATE_SITE_TIME_ZONE
    open_to_default_group: bool = True  # granted to the default group, always, as doors were before rights


class DoorPatch(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    mode: Literal["face", "badge"] | None = None
    time_zone: str | None = Field(None, max_length=64)


class DoorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    mode: str
    threshold: float | None
    time_zone: str | None
    created_at: UtcDatetime
