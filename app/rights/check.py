"""The rights check of a door decision, called once after identity is established: validity
period, a grant for this door whose schedule is open now, anti-passback. Returns the reason and
the rule that decided, which the audit event keeps."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.clock import aware
from app.doors.models import Door
from app.rights.models import ENTRY, EXIT, AccessGroup, Area, AreaDoor, AreaPresence, Grant, GroupMember, Schedule
from app.rights.schedule import open_window, zone

ALLOWED = "admitted"
NOT_AUTHORIZED = "not_authorized"
OUTSIDE_SCHEDULE = "outside_schedule"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
ANTI_PASSBACK = "anti_passback"


@dataclass(frozen=True)
class Verdict:
    reason: str
    rule: dict

    @property
    def allowed(self) -> bool:
        return self.reason == ALLOWED


def door_zone_name(door: Door, site_time_zone: str) -> str:
    return door.time_zone or site_time_zone


def _grant_in_force(session: Session, person_id: int, door: Door, instant: datetime,
                    site_time_zone: str) -> Verdict:
    rows = session.execute(
        select(Grant.id, AccessGroup.name, Schedule.name, Schedule.always, Schedule.windows, Schedule.holidays)
        .join(GroupMember, GroupMember.group_id == Grant.group_id)
        .join(AccessGroup, AccessGroup.id == Grant.group_id)
        .join(Schedule, Schedule.id == Grant.schedule_id)
        .where(GroupMember.person_id == person_id, Grant.door_id == door.id)
        .order_by(Grant.id)).all()
    if not rows:
        return Verdict(NOT_AUTHORIZED, {"check": "grant", "door_id": door.id})
    tz_name = door_zone_name(door, site_time_zone)
    local = instant.astimezone(zone(tz_name))
    for grant_id, group, schedule, always, windows, holidays in rows:
        window = None if always else open_window(windows, holidays, local)
        if always or window is not None:
            return Verdict(ALLOWED, {"check": "grant", "grant_id": grant_id, "group": group, "schedule": schedule,
                                     "window": window})
    return Verdict(OUTSIDE_SCHEDULE, {"check": "schedule", "grants": [r[0] for r in rows], "local_time":
                                      local.isoformat(timespec="minutes"), "time_zone": tz_name})


def _anti_passback(session: Session, person_id: int, door: Door, instant: datetime) -> Verdict | None:
    """None when the door is in no area or lets the person through; else the refusal."""
    placement = session.get(AreaDoor, door.id)
    if placement is None or placement.direction != ENTRY:
        return None
    # Entries into one area are decided one at a time until the decision commits (PostgreSQL
    # row lock; SQLite has one writer, and a second entry recorded meanwhile fails the
    # presence key, which the decision turns into anti_passback).
    area = session.scalar(select(Area).where(Area.id == placement.area_id).with_for_update())
    presence = session.get(AreaPresence, (placement.area_id, person_id), populate_existing=True)
    if presence is None:
        return None
    entered = aware(presence.entered_at)
    if area.reset_minutes is not None and instant >= entered + timedelta(minutes=area.reset_minutes):
        return None
    return Verdict(ANTI_PASSBACK, {"check": "anti_passback", "area_id": area.id, "area": area.name,
                                   "entered_at": entered.isoformat()})


def validity(valid_from: datetime | None, valid_until: datetime | None, instant: datetime) -> str | None:
    """not_yet_valid / expired, or None inside the person's validity period."""
    if valid_from is not None and instant < aware(valid_from):
        return NOT_YET_VALID
    if valid_until is not None and instant >= aware(valid_until):
        return EXPIRED
    return None


def check(session: Session, person_id: int, valid_from: datetime | None, valid_until: datetime | None,
          door: Door, instant: datetime, site_time_zone: str) -> Verdict:
    """May this (identified, active) person open this door at this instant?"""
    if (refused := validity(valid_from, valid_until, instant)) is not None:
        return Verdict(refused, {"check": "validity", "valid_from": valid_from and aware(valid_from).isoformat(),
                                 "valid_until": valid_until and aware(valid_until).isoformat()})
    verdict = _grant_in_force(session, person_id, door, instant, site_time_zone)
    if not verdict.allowed:
        return verdict
    return _anti_passback(session, person_id, door, instant) or verdict


def record_passage(session: Session, person_id: int, door: Door, instant: datetime) -> None:
    """After an admit: entering an area marks the person inside; leaving it clears the mark.
    Added to the session; the decision's commit stores it with the audit event."""
    placement = session.get(AreaDoor, door.id)
    if placement is None:
        return
    presence = session.get(AreaPresence, (placement.area_id, person_id))
    if placement.direction == EXIT:
        if presence is not None:
            session.delete(presence)
    elif presence is None:
        session.add(AreaPresence(area_id=placement.area_id, person_id=person_id, entered_at=instant))
    else:
        presence.entered_at = instant
