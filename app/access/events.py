"""The audit trail read back: filtered listing, and the one change allowed (an admin's label)."""
from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.models import AccessEvent
from app.core.db import utcnow
from app.core.reasons import UNKNOWN_EVENT, DomainError


def list_events(session: Session, door_id: int | None, person_id: int | None, decision: str | None,
                reason: str | None, since: datetime | None, until: datetime | None, offset: int,
                limit: int) -> tuple[list[AccessEvent], int]:
    query = select(AccessEvent)
    for column, value in ((AccessEvent.door_id, door_id), (AccessEvent.person_id, person_id),
                          (AccessEvent.decision, decision), (AccessEvent.reason, reason)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AccessEvent.created_at >= since)
    if until is not None:
        query = query.where(AccessEvent.created_at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(AccessEvent.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), int(total or 0)


def label_event(session: Session, event_id: int, label: str | None) -> AccessEvent:
    """Only the label may change: the decision record itself is append-only."""
    event = session.get(AccessEvent, event_id)
    if event is None:
        raise DomainError(UNKNOWN_EVENT, f"event {event_id} does not exist")
    event.label = label
    event.labelled_at = utcnow()
    session.commit()
    return event


def labelled_distances(session: Session) -> tuple[np.ndarray, np.ndarray]:
    """Distances of the events an admin labelled genuine, and of those labelled impostor."""
    labelled = session.execute(select(AccessEvent.label, AccessEvent.distance)
                               .where(AccessEvent.label.is_not(None), AccessEvent.distance.is_not(None))).all()
    genuine = np.asarray([d for label, d in labelled if label == "genuine"], np.float64)
    impostor = np.asarray([d for label, d in labelled if label == "impostor"], np.float64)
    return genuine, impostor
