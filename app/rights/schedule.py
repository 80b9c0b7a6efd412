"""Schedule windows: validation of what an admin sends, and whether an instant falls in one.
Windows are local wall-clock times in the door's time zone; holidays are local dates."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from app.core.reasons import INVALID_TIME_ZONE, INVALID_WINDOW, OVERLAPPING_WINDOWS, DomainError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the zone database: once, not per decision


def zone(name: str) -> ZoneInfo:
    """An IANA zone, or 422 invalid_time_zone."""
    if name not in _known_zones():
        raise DomainError(INVALID_TIME_ZONE, f"{name!r} is not an IANA time zone (e.g. Europe/Berlin)")
    return ZoneInfo(name)


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise DomainError(INVALID_WINDOW, f"{text!r} is not HH:MM")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise DomainError(INVALID_WINDOW, f"{text!r} is not a time of day (00:00 to 24:00)")
    return value


def validate(windows: list[dict], holidays: list[str]) -> None:
    """Each window ends after it starts on the same day; no two windows overlap on a day."""
    spans: dict[str, list[tuple[int, int]]] = {day: [] for day in DAYS}
    for window in windows:
        start, end = _minutes(window["start"]), _minutes(window["end"])
        if end <= start:
            raise DomainError(INVALID_WINDOW, f"window {window['start']}-{window['end']} ends before it starts; "
                                              "a night is two windows (22:00-24:00 and 00:00-06:00 the next day)")
        if not window["days"]:
            raise DomainError(INVALID_WINDOW, "a window needs at least one day")
        for day in window["days"]:
            spans[day].append((start, end))
    for day, day_spans in spans.items():
        day_spans.sort()
        for (_, end), (start, _) in zip(day_spans, day_spans[1:]):
            if start < end:
                raise DomainError(OVERLAPPING_WINDOWS, f"two windows overlap on {day}")
    for holiday in holidays:
        try:
            date.fromisoformat(holiday)
        except ValueError as exc:
            raise DomainError(INVALID_WINDOW, f"holiday {holiday!r} is not YYYY-MM-DD") from exc


def open_window(windows: list[dict], holidays: list[str], local: datetime) -> dict | None:
    """The window containing the local instant, else None (also on a holiday)."""
    if local.date().isoformat() in holidays:
        return None
    day = DAYS[local.weekday()]
    minute = local.hour * 60 + local.minute + local.second / 60
    for window in windows:
        if day in window["days"] and _minutes(window["start"]) <= minute < _minutes(window["end"]):
            return window
    return None

