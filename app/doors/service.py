"""Doors (name, mode) and the thresholds in force: global and per door, every change audited."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.reasons import DOOR_NAME_TAKEN, INVALID_THRESHOLD, UNKNOWN_DOOR, DomainError
from app.doors.models import Door, ThresholdChange
from app.face.open_set import OpenSetCard


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


def create_door(session: Session, name: str, mode: str, time_zone: str | None = None) -> Door:
    door = Door(name=name, mode=mode, time_zone=time_zone)
    session.add(door)
    _commit_door(session, f"a door named {name!r} exists")
    return door


def update_door(session: Session, door: Door, changes: dict) -> Door:
    """Name, mode, time zone; the threshold changes through Thresholds.set so it is audited."""
    for field, value in changes.items():
        setattr(door, field, value)
    _commit_door(session, "another door has that name")
    return door


class Thresholds:
    """The distance thresholds in force, built once with the loaded model's recommendation,
    which applies until an admin sets one.

    The card's recommendation is a pair (1:1) threshold. A face-only decision searches the
    whole gallery, so until an admin sets a threshold (globally or for the door) it uses the
    card's open-set bound at the gallery's size for FACEGATE_FACE_ONLY_FPIR, never looser
    than the pair threshold.
    """

    def __init__(self, model_default: float, open_set: OpenSetCard | None = None,
                 face_only_fpir: float = 1e-3) -> None:
        self.model_default = model_default
        self.open_set = open_set
        self.face_only_fpir = face_only_fpir

    def _latest_global(self, session: Session) -> float | None:
        latest = session.scalar(select(ThresholdChange).where(ThresholdChange.door_id.is_(None))
                                .order_by(ThresholdChange.id.desc()).limit(1))
        return None if latest is None else latest.threshold

    def global_threshold(self, session: Session) -> float:
        """The latest global threshold an admin set, else the model card's recommendation."""
        latest = self._latest_global(session)
        return self.model_default if latest is None else latest

    def face_only_default(self, gallery_templates: int) -> float:
        if self.open_set is None:
            return self.model_default
        return min(self.model_default, self.open_set.threshold_for(self.face_only_fpir, gallery_templates))

    def in_force(self, session: Session, door: Door | None, face_only: bool = False,
                 gallery_templates: int = 0, frames: int = 1) -> float:
        """The threshold for a decision; a probe fused from several frames gets the card's frame
        offset subtracted (fusing brings strangers closer as well as the person)."""
        offset = self.open_set.frame_offset if self.open_set is not None and frames > 1 else 0.0
        if door is not None and door.threshold is not None:
            return door.threshold - offset
        latest = self._latest_global(session)
        if latest is not None:
            return latest - offset
        return (self.face_only_default(gallery_templates) if face_only else self.model_default) - offset

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
