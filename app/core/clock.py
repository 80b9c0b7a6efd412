"""The one clock of a decision: a verification reads the time once, here, and uses that instant
for schedules, validity, anti-passback and its audit event (frozen in tests with time-machine)."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime) -> datetime:
    """A stored instant with its zone: SQLite hands timestamps back without one (they are UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
