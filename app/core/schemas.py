"""Shared API shapes: the base of every JSON request body (unknown fields refused, not silently
ignored) and the one way datetimes are answered (UTC with `Z`).

A misspelt field (`{"far": 0.01}` for `target_far`) would otherwise run with the default and
look like success.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer

from app.core.clock import aware


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def utc_text(value: datetime) -> str:
    """An instant as ISO 8601 in UTC with `Z`, also for SQLite's zone-less (UTC) timestamps."""
    return aware(value).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


# Every datetime the API answers with: one form whatever the database, so clients parse one format.
UtcDatetime = Annotated[datetime, PlainSerializer(utc_text, return_type=str, when_used="json")]
