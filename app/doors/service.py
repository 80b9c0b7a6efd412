"""Doors (name, mode) and the thresholds in force: global and per door, every change audited."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.reasons import DOOR_NAME_TAKEN, INVALID_THRESHOLD, UNKNOWN_DOOR, DomainError
from app.doors.models import Door, ThresholdChange


def get_door(session: Session, door_id: int) -> Door:
    door = session.get(Door, door_id)
    if door is None:
        raise DomainError(UNKNOWN_DOOR, f"door {door_id} does not exist")
    return door


def list_doors(session: Session) -> list[Door]:
    return list(session.scalars(select(Door).order_by(Door.id)))


def _commit_door(session: Session, message: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise DomainError(DOOR_NAME_TAKEN, message) from exc


def create_door(session: Session, name: str, mode: str) -> Door:
    door = Door(name=name, mode=mode)
    session.add(door)
    _commit_door(session, f"a door named {name!r} exists")
    return door


def update_door(session: Session, door: Door, changes: dict) -> Door:
    """Name and mode; the threshold changes through Thresholds.set so it is audited."""
    for field, value in changes.items():
        setattr(door, field, value)
    _commit_door(session, "another door has that name")
    return door


class Thresholds:
    """The distance thresholds in force, built once with the loaded model's recommendation,
    which applies until an admin sets one."""

    def __init__(self, model_default: float) -> None:
        self.model_default = model_default

    def global_threshold(self, session: Session) -> float:
        """The latest global threshold an admin set, else the model card's recommendation."""
        latest = session.scalar(select(ThresholdChange).where(ThresholdChange.door_id.is_(None))
                                .order_by(ThresholdChange.id.desc()).limit(1))
        return self.model_default if latest is None or latest.threshold is None else latest.threshold

    def in_force(self, session: Session, door: Door | None) -> float:
        if door is not None and door.threshold is not None:
            return door.threshold
        return self.global_threshold(session)

    def set(self, session: Session, threshold: float | None, door_id: int | None, reason: str | None,
            key_id: int | None) -> ThresholdChange:
        """Change the global or a door's threshold (None on a door: back to the global one); audited."""
        if door_id is None:
            if threshold is None:
                raise DomainError(INVALID_THRESHOLD, "the global threshold cannot be removed")
            previous = self.global_threshold(session)
        else:
            door = get_door(session, door_id)
            previous = door.threshold
            door.threshold = threshold
        change = ThresholdChange(door_id=door_id, threshold=threshold, previous=previous, reason=reason,
                                 api_key_id=key_id)
        session.add(change)
        session.commit()
        return change


def threshold_history(session: Session, limit: int = 50) -> list[ThresholdChange]:
    return list(session.scalars(select(ThresholdChange).order_by(ThresholdChange.id.desc()).limit(limit)))
