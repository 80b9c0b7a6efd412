"""HTTP API for the security admin: thresholds, calibration, doors, the audit trail."""
from __future__ import annotations

import io
from datetime import datetime

import numpy as np
from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.access.models import AccessEvent
from app.access.schemas import EventLabel, EventOut, EventPage
from app.admin import service
from app.admin.calibration import CalibrationData, calibrate, score_sets
from app.admin.models import BADGE_MODE, ApiKey, Door
from app.admin.schemas import CalibrateIn, DoorIn, DoorOut, DoorPatch, ThresholdChangeOut, ThresholdIn, ThresholdOut
from app.core.auth import ADMIN, require
from app.core.db import utcnow
from app.core.errors import ApiError
from app.runtime import Runtime, get_runtime

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require(ADMIN))])


def _session(runtime: Runtime = Depends(get_runtime)):  # noqa: ANN202 - generator dependency
    yield from runtime.db.scoped()


def _model_default(runtime: Runtime) -> float:
    return runtime.pipeline.encoder.recommended_threshold


@router.get("/threshold", response_model=ThresholdOut)
def get_threshold(runtime: Runtime = Depends(get_runtime), session: Session = Depends(_session)) -> ThresholdOut:
    doors = session.scalars(select(Door).order_by(Door.id)).all()
    return ThresholdOut(threshold=service.global_threshold(session, _model_default(runtime)),
                        model_default=_model_default(runtime), doors={str(d.id): d.threshold for d in doors})


@router.put("/threshold", response_model=ThresholdChangeOut)
def put_threshold(body: ThresholdIn, key: ApiKey = Depends(require(ADMIN)), runtime: Runtime = Depends(get_runtime),
                  session: Session = Depends(_session)) -> ThresholdChangeOut:
    change = service.set_threshold(session, body.threshold, body.door_id, body.reason, key.id, _model_default(runtime))
    return ThresholdChangeOut.model_validate(change)


@router.get("/threshold/history", response_model=list[ThresholdChangeOut])
def threshold_history(session: Session = Depends(_session)) -> list[ThresholdChangeOut]:
    return [ThresholdChangeOut.model_validate(c) for c in service.threshold_history(session)]


def _calibration_data(session: Session, runtime: Runtime) -> CalibrationData:
    _, persons, vectors = runtime.gallery.all_templates()
    labelled = session.execute(select(AccessEvent.label, AccessEvent.distance)
                               .where(AccessEvent.label.is_not(None), AccessEvent.distance.is_not(None))).all()
    genuine = np.asarray([d for label, d in labelled if label == "genuine"], np.float64)
    impostor = np.asarray([d for label, d in labelled if label == "impostor"], np.float64)
    return CalibrationData(persons, vectors, genuine, impostor)


@router.post("/calibrate")
def post_calibrate(body: CalibrateIn, key: ApiKey = Depends(require(ADMIN)), runtime: Runtime = Depends(get_runtime),
                   session: Session = Depends(_session)) -> dict:
    door = service.get_door(session, body.door_id) if body.door_id is not None else None
    face_only = door is None or door.mode != BADGE_MODE
    try:
        result = calibrate(_calibration_data(session, runtime), body.target_far, face_only)
    except ValueError as exc:
        raise ApiError(422, "not_enough_data", str(exc)) from exc
    result["door_id"] = body.door_id
    result["current_threshold"] = service.threshold_in_force(session, door, _model_default(runtime))
    result["applied"] = False
    if body.apply:
        service.set_threshold(session, result["threshold"], body.door_id,
                              f"calibrated: target FAR {body.target_far:g} ({result['basis']})", key.id,
                              _model_default(runtime))
        result["applied"] = True
    return result


@router.get("/calibration.png")
def calibration_png(door_id: int | None = None, runtime: Runtime = Depends(get_runtime),
                    session: Session = Depends(_session)) -> Response:
    from app.training.evaluate import plot_curves

    door = service.get_door(session, door_id) if door_id is not None else None
    scores = score_sets(_calibration_data(session, runtime))
    level = "pair" if door is not None and door.mode == BADGE_MODE else "door"
    genuine, impostor = scores[f"{level}_genuine"], scores[f"{level}_impostor"]
    if not len(genuine) or not len(impostor):
        raise ApiError(422, "not_enough_data", "the gallery needs two people and a person with two templates")
    out = io.BytesIO()
    plot_curves(genuine, impostor, out, title=f"gallery calibration ({level} level)",
                threshold=service.threshold_in_force(session, door, _model_default(runtime)))
    return Response(out.getvalue(), media_type="image/png")


@router.get("/events", response_model=EventPage)
def list_events(door_id: int | None = None, person_id: int | None = None, decision: str | None = None,
                reason: str | None = None, since: datetime | None = None, until: datetime | None = None,
                offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500),
                session: Session = Depends(_session)) -> EventPage:
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
    return EventPage(items=[EventOut.model_validate(e) for e in rows], total=int(total or 0), offset=offset,
                     limit=limit)


@router.patch("/events/{event_id}", response_model=EventOut)
def label_event(event_id: int, body: EventLabel, session: Session = Depends(_session)) -> EventOut:
    """Only the label may change: the decision record itself is append-only."""
    event = session.get(AccessEvent, event_id)
    if event is None:
        raise ApiError(404, "unknown_event", f"event {event_id} does not exist")
    event.label = body.label
    event.labelled_at = utcnow()
    session.commit()
    return EventOut.model_validate(event)


@router.post("/doors", status_code=201, response_model=DoorOut)
def create_door(body: DoorIn, key: ApiKey = Depends(require(ADMIN)), runtime: Runtime = Depends(get_runtime),
                session: Session = Depends(_session)) -> DoorOut:
    door = Door(name=body.name, mode=body.mode)
    session.add(door)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ApiError(409, "door_name_taken", f"a door named {body.name!r} exists") from exc
    if body.threshold is not None:
        service.set_threshold(session, body.threshold, door.id, "set at door creation", key.id,
                              _model_default(runtime))
    return DoorOut.model_validate(door)


@router.get("/doors", response_model=list[DoorOut])
def list_doors(session: Session = Depends(_session)) -> list[DoorOut]:
    return [DoorOut.model_validate(d) for d in session.scalars(select(Door).order_by(Door.id))]


@router.patch("/doors/{door_id}", response_model=DoorOut)
def patch_door(door_id: int, body: DoorPatch, session: Session = Depends(_session)) -> DoorOut:
    """Name and mode; the threshold changes through PUT /v1/admin/threshold so it is audited."""
    door = service.get_door(session, door_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(door, field, value)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ApiError(409, "door_name_taken", "another door has that name") from exc
    return DoorOut.model_validate(door)
