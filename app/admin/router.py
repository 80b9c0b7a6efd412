"""HTTP API for the security admin: thresholds, calibration, doors, the audit trail."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import events
from app.access.schemas import EventLabel, EventOut, EventPage
from app.admin.calibration import CalibrationData, calibrate
from app.admin.calibration_plot import render_calibration
from app.admin.schemas import CalibrateIn, DoorIn, DoorOut, DoorPatch, ThresholdChangeOut, ThresholdIn, ThresholdOut
from app.core import clock
from app.core.edge import EdgeRoute
from app.core.ids import Offset, RowId
from app.core.reasons import NOT_ENOUGH_DATA, OUTSIDE_MEASURED_RANGE, DomainError
from app.core.sessions import SessionDep
from app.doors import service as doors
from app.doors.models import BADGE_MODE
from app.keys.auth import require
from app.keys.models import ADMIN, ApiKey
from app.people.models import Person
from app.rights import check as rights_check
from app.rights import service as rights
from app.rights.schedule import zone
from app.runtime import Runtime, RuntimeDep

router = APIRouter(route_class=EdgeRoute, prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require(ADMIN))])


@router.get("/threshold", response_model=ThresholdOut)
def get_threshold(runtime: RuntimeDep, session: SessionDep) -> ThresholdOut:
    return ThresholdOut(threshold=runtime.thresholds.global_threshold(session),
                        model_default=runtime.thresholds.model_default,
                        face_only_default=runtime.thresholds.face_only_default(len(runtime.gallery)),
                        measured_range=_measured_range(runtime),
                        doors={str(d.id): d.threshold for d in doors.list_doors(session)})


@router.put("/threshold", response_model=ThresholdChangeOut)
def put_threshold(body: ThresholdIn, runtime: RuntimeDep, session: SessionDep,
                  key: ApiKey = Depends(require(ADMIN))) -> ThresholdChangeOut:
    measured = _measured_range(runtime)
    if (body.threshold is not None and measured is not None and not body.confirm_outside_measured_range
            and not measured[0] <= body.threshold <= measured[1]):
        raise DomainError(OUTSIDE_MEASURED_RANGE,
                          f"{body.threshold} is outside the distances the model's false-accept rates were measured at "
                          f"({measured[0]}-{measured[1]}): nobody knows what it admits; send "
                          "confirm_outside_measured_range: true to set it anyway", measured_range=measured)
    change = runtime.thresholds.set(session, body.threshold, body.door_id, body.reason, key.id)
    return ThresholdChangeOut.model_validate(change)


def _measured_range(runtime: Runtime) -> list[float] | None:
    """The distances the card's held-out false-match rates cover; None for a card without them."""
    card = runtime.open_set
    return None if card is None else [float(card.thresholds[0]), float(card.thresholds[-1])]


@router.get("/threshold/history", response_model=list[ThresholdChangeOut])
def threshold_history(session: SessionDep) -> list[ThresholdChangeOut]:
    return [ThresholdChangeOut.model_validate(c) for c in doors.threshold_history(session)]


def _calibration_data(session: Session, runtime: Runtime) -> CalibrationData:
    _, persons, vectors = runtime.gallery.all_templates()
    genuine, impostor = events.labelled_distances(session)
    return CalibrationData(persons, vectors, genuine, impostor)


def _calibration(runtime: Runtime, session: Session, door_id: int | None, target_far: float) -> dict:
    """calibrate()'s answer for the door (or the global face-only threshold), with the one in force."""
    door = doors.get_door(session, door_id) if door_id is not None else None
    face_only = door is None or door.mode != BADGE_MODE
    try:
        result = calibrate(_calibration_data(session, runtime), target_far, face_only, runtime.open_set)
    except ValueError as exc:
        raise DomainError(NOT_ENOUGH_DATA, str(exc)) from exc
    result["door_id"] = door_id
    result["current_threshold"] = runtime.thresholds.in_force(session, door, face_only, len(runtime.gallery))
    return result


@router.post("/calibrate")
def post_calibrate(body: CalibrateIn, runtime: RuntimeDep, session: SessionDep,
                   key: ApiKey = Depends(require(ADMIN))) -> dict:
    result = _calibration(runtime, session, body.door_id, body.target_far)
    result["applied"] = False
    if body.apply:
        runtime.thresholds.set(session, result["threshold"], body.door_id,
                               f"calibrated: target FAR {body.target_far:g} ({result['basis']})", key.id)
        result["applied"] = True
    return result


@router.get("/calibration.png")
def calibration_png(runtime: RuntimeDep, session: SessionDep, door_id: RowId | None = None,
                    target_far: float = Query(0.001, gt=0.0, lt=1.0)) -> Response:
    """The curve POST /calibrate reads, with the target, its recommendation and the threshold in force
    marked (also in the X-Target-Far, X-Recommended-Threshold and X-Current-Threshold headers)."""
    result = _calibration(runtime, session, door_id, target_far)
    headers = {"X-Target-Far": f"{target_far:g}", "X-Recommended-Threshold": f"{result['threshold']:.4f}",
               "X-Current-Threshold": f"{result['current_threshold']:.4f}"}
    return Response(render_calibration(result, result["current_threshold"]), media_type="image/png",
                    headers=headers)


@router.get("/events", response_model=EventPage)
def list_events(session: SessionDep, door_id: RowId | None = None, person_id: RowId | None = None,
                decision: Literal["admit", "reject"] | None = None, reason: str | None = None,
                since: datetime | None = None, until: datetime | None = None, offset: Offset = 0,
                limit: int = Query(50, ge=1, le=500)) -> EventPage:
    rows, total = events.list_events(session, door_id, person_id, decision, reason, since, until, offset, limit)
    return EventPage(items=[EventOut.model_validate(e) for e in rows], total=total, offset=offset, limit=limit)


@router.patch("/events/{event_id}", response_model=EventOut)
def label_event(event_id: RowId, body: EventLabel, session: SessionDep) -> EventOut:
    return EventOut.model_validate(events.label_event(session, event_id, body.label))


@router.post("/doors", status_code=201, response_model=DoorOut)
def create_door(body: DoorIn, runtime: RuntimeDep, session: SessionDep,
                key: ApiKey = Depends(require(ADMIN))) -> DoorOut:
    if body.time_zone is not None:
        zone(body.time_zone)
    door = doors.create_door(session, body.name, body.mode, body.time_zone)
    if body.open_to_default_group:
        rights.grant_default_groups(session, door.id)
    if body.threshold is not None:
        runtime.thresholds.set(session, body.threshold, door.id, "set at door creation", key.id)
    return DoorOut.model_validate(door)


@router.get("/doors", response_model=list[DoorOut])
def list_doors(session: SessionDep) -> list[DoorOut]:
    return [DoorOut.model_validate(d) for d in doors.list_doors(session)]


@router.patch("/doors/{door_id}", response_model=DoorOut)
def patch_door(door_id: RowId, body: DoorPatch, session: SessionDep) -> DoorOut:
    """Name and mode; the threshold changes through PUT /v1/admin/threshold so it is audited."""
    if body.time_zone is not None:
        zone(body.time_zone)
    door = doors.update_door(session, doors.get_door(session, door_id), body.model_dump(exclude_unset=True))
    return DoorOut.model_validate(door)


@router.get("/doors/{door_id}/access")
def door_access(door_id: RowId, runtime: RuntimeDep, session: SessionDep) -> dict:
    """Who may open this door now: active people within their validity with an open grant here."""
    door = doors.get_door(session, door_id)
    instant = clock.now()
    granted = rights.open_grants_at_door(session, door, instant, runtime.settings.site_time_zone)
    people = [p for p in session.scalars(select(Person).where(Person.id.in_(granted)).order_by(Person.id))
              if p.active and rights_check.validity(p.valid_from, p.valid_until, instant) is None]
    return {"door_id": door.id, "at": instant.isoformat(),
            "people": [{"id": p.id, "name": p.name, "groups": granted[p.id]} for p in people]}
