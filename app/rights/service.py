"""Groups, memberships, schedules, grants and areas: create, list, delete (409 while in use unless
cascaded), and what is in force for a person or a door. Bad references answer 422 and store nothing."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.reasons import IN_USE, INVALID_REFERENCE, NAME_TAKEN, UNKNOWN_RIGHTS_OBJECT, DomainError
from app.doors.models import Door
from app.rights.check import door_zone_name, validity
from app.rights.models import AccessGroup, Area, AreaDoor, AreaPresence, Grant, GroupMember, Schedule
from app.rights.schedule import DAYS, open_window, validate, zone
from app.rights.schemas import AreaIn, GrantIn, GroupIn, GroupPatch, ScheduleIn, SchedulePut

ALWAYS = "always"
EVERYONE = "everyone"


def _get(session: Session, model: type, object_id: int, what: str):  # noqa: ANN202 - any rights row
    row = session.get(model, object_id)
    if row is None:
        raise DomainError(UNKNOWN_RIGHTS_OBJECT, f"{what} {object_id} does not exist")
    return row


def _commit_named(session: Session, what: str, name: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise DomainError(NAME_TAKEN, f"a {what} named {name!r} exists") from exc


def _require(session: Session, model: type, object_id: int, what: str) -> None:
    if session.get(model, object_id) is None:
        raise DomainError(INVALID_REFERENCE, f"{what} {object_id} does not exist")


# Groups and membership

def create_group(session: Session, body: GroupIn) -> AccessGroup:
    group = AccessGroup(name=body.name, description=body.description)
    session.add(group)
    _commit_named(session, "group", body.name)
    return group


def list_groups(session: Session) -> list[AccessGroup]:
    return list(session.scalars(select(AccessGroup).order_by(AccessGroup.id)))


def update_group(session: Session, group_id: int, patch: GroupPatch) -> AccessGroup:
    group = _get(session, AccessGroup, group_id, "group")
    for field, value in patch.model_dump(exclude_unset=True).items():
        if field != "name" or value is not None:  # a group keeps a name
            setattr(group, field, value)
    _commit_named(session, "group", group.name)
    return group


def delete_group(session: Session, group_id: int, cascade: bool) -> None:
    group = _get(session, AccessGroup, group_id, "group")
    members = session.scalar(select(func.count()).where(GroupMember.group_id == group_id))
    grants = session.scalar(select(func.count()).where(Grant.group_id == group_id))
    if (members or grants) and not cascade:
        raise DomainError(IN_USE, f"group {group_id} has {members} members and {grants} grants; "
                                  "send cascade=true to delete them with it", members=members, grants=grants)
    session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    session.execute(delete(Grant).where(Grant.group_id == group_id))
    session.delete(group)
    session.commit()


def default_group_ids(session: Session) -> list[int]:
    return list(session.scalars(select(AccessGroup.id).where(AccessGroup.is_default.is_(True))))


def check_groups(session: Session, group_ids: list[int]) -> None:
    for group_id in group_ids:
        _require(session, AccessGroup, group_id, "group")


def join_groups(session: Session, person_id: int, group_ids: list[int]) -> None:
    """Add memberships to the session (the caller commits, e.g. with the enrolment)."""
    present = set(session.scalars(select(GroupMember.group_id).where(GroupMember.person_id == person_id)))
    for group_id in dict.fromkeys(group_ids):
        if group_id not in present:
            session.add(GroupMember(group_id=group_id, person_id=person_id))


def add_member(session: Session, group_id: int, person_id: int) -> None:
    _get(session, AccessGroup, group_id, "group")
    join_groups(session, person_id, [group_id])
    try:
        session.commit()
    except IntegrityError as exc:  # the person's foreign key: no such person
        session.rollback()
        raise DomainError(INVALID_REFERENCE, f"person {person_id} does not exist") from exc


def remove_member(session: Session, group_id: int, person_id: int) -> None:
    _get(session, AccessGroup, group_id, "group")
    session.execute(delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.person_id == person_id))
    session.commit()


def members(session: Session, group_id: int) -> list[int]:
    _get(session, AccessGroup, group_id, "group")
    return list(session.scalars(select(GroupMember.person_id).where(GroupMember.group_id == group_id)
                                .order_by(GroupMember.person_id)))


def groups_of(session: Session, person_id: int) -> list[int]:
    return list(session.scalars(select(GroupMember.group_id).where(GroupMember.person_id == person_id)
                                .order_by(GroupMember.group_id)))


# Schedules

def _checked_windows(body: ScheduleIn | SchedulePut) -> tuple[list[dict], list[str]]:
    windows = [w.model_dump() for w in body.windows]
    validate(windows, body.holidays)
    return [{**w, "days": sorted(set(w["days"]), key=DAYS.index)} for w in windows], sorted(set(body.holidays))


def create_schedule(session: Session, body: ScheduleIn) -> Schedule:
    windows, holidays = _checked_windows(body)
    schedule = Schedule(name=body.name, always=False, windows=windows, holidays=holidays)
    session.add(schedule)
    _commit_named(session, "schedule", body.name)
    return schedule


def replace_schedule(session: Session, schedule_id: int, body: SchedulePut) -> Schedule:
    schedule = _get(session, Schedule, schedule_id, "schedule")
    if schedule.always:
        raise DomainError(IN_USE, "the built-in schedule 'always' cannot change")
    schedule.windows, schedule.holidays = _checked_windows(body)
    session.commit()
    return schedule


def list_schedules(session: Session) -> list[Schedule]:
    return list(session.scalars(select(Schedule).order_by(Schedule.id)))


def delete_schedule(session: Session, schedule_id: int, cascade: bool) -> None:
    schedule = _get(session, Schedule, schedule_id, "schedule")
    if schedule.always:
        raise DomainError(IN_USE, "the built-in schedule 'always' cannot be deleted")
    grants = session.scalar(select(func.count()).where(Grant.schedule_id == schedule_id))
    if grants and not cascade:
        raise DomainError(IN_USE, f"schedule {schedule_id} is used by {grants} grants; send cascade=true "
                                  "to delete them with it", grants=grants)
    session.execute(delete(Grant).where(Grant.schedule_id == schedule_id))
    session.delete(schedule)
    session.commit()


# Grants

def create_grant(session: Session, body: GrantIn) -> Grant:
    _require(session, AccessGroup, body.group_id, "group")
    _require(session, Door, body.door_id, "door")
    _require(session, Schedule, body.schedule_id, "schedule")
    existing = session.scalar(select(Grant).where(Grant.group_id == body.group_id, Grant.door_id == body.door_id,
                                                  Grant.schedule_id == body.schedule_id))
    if existing is not None:
        return existing
    grant = Grant(group_id=body.group_id, door_id=body.door_id, schedule_id=body.schedule_id)
    session.add(grant)
    session.commit()
    return grant


def grant_default_groups(session: Session, door_id: int) -> None:
    """A new door is open to the default group(s) at all times until an admin narrows it, as the
    upgrade left every existing door; create it with open_to_default_group=false to start closed."""
    always = session.scalar(select(Schedule.id).where(Schedule.always.is_(True)).order_by(Schedule.id).limit(1))
    for group_id in default_group_ids(session):
        session.add(Grant(group_id=group_id, door_id=door_id, schedule_id=always))
    session.commit()


def list_grants(session: Session, door_id: int | None, group_id: int | None) -> list[Grant]:
    query = select(Grant).order_by(Grant.id)
    if door_id is not None:
        query = query.where(Grant.door_id == door_id)
    if group_id is not None:
        query = query.where(Grant.group_id == group_id)
    return list(session.scalars(query))


def delete_grant(session: Session, grant_id: int) -> None:
    session.delete(_get(session, Grant, grant_id, "grant"))
    session.commit()


# Areas (anti-passback)

def area_out(session: Session, area: Area) -> dict:
    doors = session.scalars(select(AreaDoor).where(AreaDoor.area_id == area.id).order_by(AreaDoor.door_id))
    return {"id": area.id, "name": area.name, "reset_minutes": area.reset_minutes,
            "doors": [{"door_id": d.door_id, "direction": d.direction} for d in doors]}


def create_area(session: Session, body: AreaIn) -> Area:
    door_ids = [d.door_id for d in body.doors]
    if len(set(door_ids)) != len(door_ids):
        raise DomainError(INVALID_REFERENCE, "a door is listed twice")
    for door_id in door_ids:
        _require(session, Door, door_id, "door")
        if session.get(AreaDoor, door_id) is not None:
            raise DomainError(INVALID_REFERENCE, f"door {door_id} already belongs to an area")
    area = Area(name=body.name, reset_minutes=body.reset_minutes)
    session.add(area)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise DomainError(NAME_TAKEN, f"an area named {body.name!r} exists") from exc
    session.add_all(AreaDoor(door_id=d.door_id, area_id=area.id, direction=d.direction) for d in body.doors)
    session.commit()
    return area


def list_areas(session: Session) -> list[Area]:
    return list(session.scalars(select(Area).order_by(Area.id)))


def delete_area(session: Session, area_id: int) -> None:
    area = _get(session, Area, area_id, "area")
    session.execute(delete(AreaPresence).where(AreaPresence.area_id == area_id))
    session.execute(delete(AreaDoor).where(AreaDoor.area_id == area_id))
    session.delete(area)
    session.commit()


def forgive(session: Session, area_id: int, person_id: int) -> bool:
    """An admin lets one person enter again (e.g. they left by a door without a reader)."""
    _get(session, Area, area_id, "area")
    removed = session.execute(delete(AreaPresence).where(AreaPresence.area_id == area_id,
                                                         AreaPresence.person_id == person_id)).rowcount
    session.commit()
    return bool(removed)


# What is in force

def _week(schedule: Schedule, local: datetime) -> list[dict]:
    """This week's (Monday to Sunday, local) windows of a schedule, with their dates; holidays left out."""
    monday = local.date() - timedelta(days=local.weekday())
    days = [monday + timedelta(days=i) for i in range(7)]
    if schedule.always:
        return [{"date": d.isoformat(), "start": "00:00", "end": "24:00"} for d in days]
    return [{"date": d.isoformat(), "start": w["start"], "end": w["end"]}
            for d in days if d.isoformat() not in schedule.holidays
            for w in schedule.windows if DAYS[d.weekday()] in w["days"]]


def person_access(session: Session, person_id: int, valid_from: datetime | None, valid_until: datetime | None,
                  instant: datetime, site_time_zone: str) -> dict:
    """The doors and windows in force for a person: each grant, whether it is open now, this week."""
    reason = validity(valid_from, valid_until, instant)
    rows = session.execute(select(Grant, Door, Schedule, AccessGroup)
                           .join(GroupMember, GroupMember.group_id == Grant.group_id)
                           .join(Door, Door.id == Grant.door_id).join(Schedule, Schedule.id == Grant.schedule_id)
                           .join(AccessGroup, AccessGroup.id == Grant.group_id)
                           .where(GroupMember.person_id == person_id).order_by(Door.id, Grant.id)).all()
    grants = []
    for grant, door, schedule, group in rows:
        tz_name = door_zone_name(door, site_time_zone)
        local = instant.astimezone(zone(tz_name))
        open_now = schedule.always or open_window(schedule.windows, schedule.holidays, local) is not None
        grants.append({"grant_id": grant.id, "door_id": door.id, "door": door.name, "group": group.name,
                       "schedule": schedule.name, "time_zone": tz_name, "open_now": bool(open_now) and reason is None,
                       "this_week": _week(schedule, local)})
    return {"person_id": person_id, "at": instant.isoformat(), "validity": reason or "valid",
            "groups": groups_of(session, person_id), "grants": grants}


def open_grants_at_door(session: Session, door: Door, instant: datetime, site_time_zone: str) -> dict[int, list[str]]:
    """Person id -> the groups whose grant at this door is open at this instant."""
    local = instant.astimezone(zone(door_zone_name(door, site_time_zone)))
    rows = session.execute(select(GroupMember.person_id, AccessGroup.name, Schedule)
                           .join(Grant, Grant.group_id == GroupMember.group_id)
                           .join(AccessGroup, AccessGroup.id == Grant.group_id)
                           .join(Schedule, Schedule.id == Grant.schedule_id)
                           .where(Grant.door_id == door.id)).all()
    people: dict[int, list[str]] = {}
    for person_id, group, schedule in rows:
        if schedule.always or open_window(schedule.windows, schedule.holidays, local) is not None:
            people.setdefault(person_id, []).append(group)
    return people
