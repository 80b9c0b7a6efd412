"""Thresholds (global and per door, with history) and doors."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin.models import Door, ThresholdChange
from app.core.errors import ApiError


def global_threshold(session: Session, model_default: float) -> float:
    """The latest global threshold an admin set, else the model card's recommendation."""
    latest = session.scalar(select(ThresholdChange).where(ThresholdChange.door_id.is_(None))
                            .order_by(ThresholdChange.id.desc()).limit(1))
    return model_default if latest is None or latest.threshold is None else latest.threshold


def threshold_in_force(session: Session, door: Door | None, model_default: float) -> float:
    if door is not None and door.threshold is not None:
        return door.threshold
    return global_threshold(session, model_default)


def get_door(session: Session, door_id: int) -> Door:
    door = session.get(Door, door_id)
    if door is None:
        raise ApiError(404, "unknown_door", f"door {door_id} does not exist")
    return door


def set_threshold(session: Session, threshold: float | None, door_id: int | None, reason: str | None,
                  key_id: int | None, model_default: float) -> ThresholdChange:
    """Change the global or a door's threshold (None on a door: back to the global one); audited."""
    if door_id is None:
        if threshold is None:
            raise ApiError(422, "invalid_threshold", "the global threshold cannot be removed")
        previous = global_threshold(session, model_default)
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
