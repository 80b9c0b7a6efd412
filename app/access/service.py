"""The door decision. The server owns it: admit only within the threshold, else a reason."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.access.crops import keep_crop
from app.access.models import AccessEvent
from app.core import clock
from app.core.reasons import DOOR_REQUIRED, INTERNAL_ERROR, WRONG_DOOR, DomainError
from app.doors.models import BADGE_MODE, Door
from app.doors.service import Thresholds, get_door
from app.face.errors import IMAGE_TOO_LARGE, IMAGE_TOO_SMALL, NOT_AN_IMAGE, FaceRejected
from app.face.frames import fuse
from app.face.pipeline import FaceChip
from app.face.worker import FaceWorker
from app.gallery.index import Gallery, PersonMatch
from app.keys.models import ApiKey
from app.people.models import Person
from app.rights import check as rights
from app.security.crypto import DataKeys

if TYPE_CHECKING:
    from app.runtime import Runtime

# Photos the door cannot even look at: audited, then answered 4xx with the event id.
UNREADABLE = (NOT_AN_IMAGE, IMAGE_TOO_LARGE, IMAGE_TOO_SMALL)

ADMITTED = "admitted"
NO_MATCH = "no_match"
UNKNOWN_BADGE = "unknown_badge"
BADGE_MISMATCH = "badge_mismatch"
BADGE_REQUIRED = "badge_required"
INACTIVE = "inactive"


@dataclass(frozen=True)
class Verifier:
    """What a door decision uses: the face worker, the gallery, the thresholds, the model's id,
    the site's time zone (for schedules of doors that name none)."""
    face_worker: FaceWorker
    gallery: Gallery
    thresholds: Thresholds
    model_id: str
    site_time_zone: str
    data_keys: DataKeys  # the probe crop kept with a matched decision is sealed

    @classmethod
    def of(cls, runtime: "Runtime") -> "Verifier":
        """The one way routes build it, so every door path judges schedules in the site's zone."""
        model = runtime.model  # once: a switch swaps it whole
        return cls(model.face_worker, model.gallery, model.thresholds, model.model_id,
                   runtime.settings.site_time_zone, runtime.data_keys)


@dataclass
class Decision:
    reason: str
    mode: str
    person: Person | None = None
    distance: float | None = None
    matched: Person | None = None  # whom the face matched, when that is not the badge holder
    face: FaceChip | None = None
    rule: dict | None = None  # the access rule that decided, once identity was established
    template_id: int | None = None  # the template the face matched (admitted, inactive or badge_mismatch)

    @property
    def admitted(self) -> bool:
        return self.reason == ADMITTED


def resolve_door(session: Session, key: ApiKey, door_id: int | None) -> Door:
    """A terminal key bound to a door speaks for that door only; every decision is at a door
    (an unbound key, or an admin naming none, could otherwise skip the door's mode and rights)."""
    if key.door_id is not None:
        if door_id is not None and door_id != key.door_id:
            raise DomainError(WRONG_DOOR, f"this key belongs to door {key.door_id}")
        door_id = key.door_id
    if door_id is None:
        raise DomainError(DOOR_REQUIRED, "this key is bound to no door: send door_id with an admin key, "
                                         "or bind the terminal key to its door")
    return get_door(session, door_id)


def _apply_rights(session: Session, verifier: Verifier, decision: Decision, door: Door,
                  instant: datetime) -> Decision:
    """Identity first: only an admitted person is checked against the door's grants."""
    if not decision.admitted or decision.person is None:
        return decision
    person = decision.person
    verdict = rights.check(session, person.id, person.valid_from, person.valid_until, door, instant,
                           verifier.site_time_zone)
    if verdict.allowed:
        rights.record_passage(session, person.id, door, instant)
    return replace(decision, reason=verdict.reason, rule=verdict.rule)


def _nearest_person(session: Session, gallery: Gallery, vector: np.ndarray) -> tuple[PersonMatch, Person] | None:
    """The nearest enrolled person (1:N). A person deleted through another replica may linger
    in this index for one poll interval; SQL decides, so such entries are skipped."""
    for match in gallery.nearest_people(vector, people=3):
        if (person := session.get(Person, match.person_id)) is not None:
            return match, person
    return None


def _face_decision(session: Session, gallery: Gallery, face: FaceChip, vector: np.ndarray,
                   threshold: float) -> Decision:
    nearest = _nearest_person(session, gallery, vector)
    if nearest is None or nearest[0].distance > threshold:
        return Decision(NO_MATCH, "face", distance=nearest[0].distance if nearest else None, face=face)
    match, person = nearest
    return Decision(ADMITTED if person.active else INACTIVE, "face", person, match.distance, face=face,
                    template_id=match.template_id)


def _badge_decision(session: Session, gallery: Gallery, face: FaceChip, vector: np.ndarray, holder: Person,
                    threshold: float) -> Decision:
    """1:1 with the holder's templates; only a refused face is searched 1:N, to name whom it matched."""
    own = gallery.distance_to(holder.id, vector)
    if own is not None and own.distance <= threshold:
        return Decision(ADMITTED if holder.active else INACTIVE, "badge", holder, own.distance, face=face,
                        template_id=own.template_id)
    nearest = _nearest_person(session, gallery, vector)
    matched = None
    if nearest is not None and nearest[1].id != holder.id and nearest[0].distance <= threshold:
        matched = nearest[1]
    return Decision(BADGE_MISMATCH if matched else NO_MATCH, "badge", holder,
                    own.distance if own else None, matched=matched, face=face,
                    template_id=nearest[0].template_id if matched else None)


def _photo_decision(session: Session, verifier: Verifier, images: list[bytes], holder: Person | None, mode: str,
                    threshold: float) -> tuple[Decision, DomainError | None]:
    """The decision on the photos, and the error to answer with when they cannot be looked at."""
    result, _ = fuse(verifier.face_worker.analyze(images))
    if isinstance(result, FaceRejected):
        return Decision(result.reason, mode), result if result.reason in UNREADABLE else None
    if holder is not None:
        return _badge_decision(session, verifier.gallery, result.face, result.vector, holder, threshold), None
    return _face_decision(session, verifier.gallery, result.face, result.vector, threshold), None


def verify(session: Session, verifier: Verifier, key: ApiKey, images: list[bytes], badge_id: str | None,
           door_id: int | None) -> tuple[Decision, AccessEvent, float]:
    """Decide on one photo or several frames of one person (fused), and always write the audit
    event (also for unusable photos)."""
    started = time.perf_counter()
    instant = clock.now()
    door = resolve_door(session, key, door_id)
    mode = "badge" if badge_id else "face"
    threshold = verifier.thresholds.in_force(session, door, face_only=not badge_id,
                                             gallery_templates=len(verifier.gallery), frames=len(images))
    holder = session.scalar(select(Person).where(Person.badge_id == badge_id)) if badge_id else None
    error: FaceRejected | None = None
    if door.mode == BADGE_MODE and not badge_id:
        decision = Decision(BADGE_REQUIRED, "badge")
    elif badge_id and holder is None:
        decision = Decision(UNKNOWN_BADGE, "badge")
    else:
        try:
            decision, error = _photo_decision(session, verifier, images, holder, mode, threshold)
        except Exception:  # a fault of ours: audited, then answered 500 by app/core/errors.py
            session.rollback()
            latency = (time.perf_counter() - started) * 1000
            record(session, verifier.model_id, verifier.data_keys, key, door, badge_id,
                   Decision(INTERNAL_ERROR, mode), threshold, latency, instant)
            raise
    decision = _apply_rights(session, verifier, decision, door, instant)
    latency = (time.perf_counter() - started) * 1000
    event = record(session, verifier.model_id, verifier.data_keys, key, door, badge_id, decision, threshold, latency,
                   instant)
    if error is not None:
        raise DomainError(error.reason, error.message, event_id=event.id)
    return decision, event, threshold


def record(session: Session, model_id: str, data_keys: DataKeys, key: ApiKey, door: Door | None,
           badge_id: str | None, decision: Decision, threshold: float, latency_ms: float, instant: datetime) -> AccessEvent:
    """The audit event, stamped with the instant the decision used."""
    quality = decision.face.detection if decision.face else None
    event = AccessEvent(
        created_at=instant, rule=decision.rule, door_id=door.id if door else None, mode=decision.mode, badge_id=badge_id,
        person_id=decision.person.id if decision.person else None,
        person_name=decision.person.name if decision.person else None,
        matched_person_id=decision.matched.id if decision.matched else None,
        matched_person_name=decision.matched.name if decision.matched else None,
        decision="admit" if decision.admitted else "reject", reason=decision.reason,
        distance=decision.distance, threshold=threshold, model_id=model_id,
        latency_ms=round(latency_ms, 2), face_probability=quality.probability if quality else None,
        face_px=quality.size if quality else None, api_key_id=key.id)
    session.add(event)
    if decision.template_id is not None and decision.face is not None:
        session.flush()
        keep_crop(session, data_keys, event.id, decision.template_id, decision.face.chip)
    try:
        session.commit()
    except IntegrityError:
        # Only an admit writes more than the event: the area presence, whose key another
        # entry of the same person into the same area took meanwhile. That entry won.
        session.rollback()
        if not decision.admitted:
            raise
        refused = replace(decision, reason=rights.ANTI_PASSBACK, rule={"check": "anti_passback", "concurrent": True})
        return record(session, model_id, data_keys, key, door, badge_id, refused, threshold, latency_ms, instant)
    return event
