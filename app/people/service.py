"""Enrollment and removal: a person is SQL rows plus index entries, changed together."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.clock import aware
from app.core.reasons import (
    IMAGE_COUNT,
    INCONSISTENT_FACE,
    INVALID_NAME,
    INVALID_REQUEST,
    MODEL_SWITCHED,
    NO_USABLE_FACE,
    UNKNOWN_PERSON,
    UNKNOWN_TEMPLATE,
    DomainError,
)
from app.doors.service import Thresholds
from app.face.decode import png_bytes
from app.face.errors import FaceRejected
from app.face.pipeline import FaceChip
from app.face.worker import FaceWorker
from app.gallery.model_sets import model_in_force
from app.gallery.models import FaceTemplate
from app.gallery.sync import GallerySync
from app.gallery.transaction import index_transaction
from app.people.crops import seal_crop, seal_loose
from app.people.fields import TEXT_FIELDS, clean_text
from app.people.integrity import IdentityRules, check_duplicates, consistent_files
from app.people.models import Person
from app.people.schemas import FileRejection, PersonPatch
from app.rights import service as rights
from app.security.crypto import DataKeys

if TYPE_CHECKING:
    from app.runtime import Runtime


@dataclass
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Enrolment:
    """What enrolment uses: the face worker, the gallery (through its sync), the thresholds."""
    face_worker: FaceWorker
    sync: GallerySync
    thresholds: Thresholds
    model_id: str
    max_images: int
    rules: IdentityRules
    data_keys: DataKeys  # crops are stored sealed

    @classmethod
    def of(cls, runtime: "Runtime") -> "Enrolment":
        """The one way routes (and benchmarks) build it from what the process holds."""
        model = runtime.model  # once: a switch swaps it whole
        rules = IdentityRules(model.open_set, runtime.settings.duplicate_rate, runtime.settings.same_person_max)
        return cls(model.face_worker, model.sync, model.thresholds, model.model_id,
                   runtime.settings.max_images_per_enrollment, rules, runtime.data_keys)


@dataclass
class Analyzed:
    accepted: list[tuple[str, FaceChip]]
    vectors: np.ndarray
    rejected: list[FileRejection]


def analyze_uploads(face_worker: FaceWorker, uploads: list[Upload], limit: int) -> Analyzed:
    """Each file must hold exactly one usable face, by the same gate as the doors."""
    if not 1 <= len(uploads) <= limit:
        raise DomainError(IMAGE_COUNT, f"send between 1 and {limit} images")
    accepted, vectors, rejected = [], [], []
    for upload, found in zip(uploads, face_worker.analyze([u.data for u in uploads])):
        if isinstance(found, FaceRejected):
            rejected.append(FileRejection(filename=upload.filename, reason=found.reason, message=found.message))
        else:
            accepted.append((upload.filename, found.face))
            vectors.append(found.vector)
    if not accepted:
        raise DomainError(NO_USABLE_FACE, "no file held exactly one usable face; nothing was stored",
                          rejected=[r.model_dump() for r in rejected])
    return Analyzed(accepted, np.stack(vectors), rejected)


def chip_png(chip: np.ndarray) -> bytes:
    """An aligned chip as PNG bytes, as templates (and explained events) keep it."""
    return png_bytes(chip)


def _unique_violation(exc: IntegrityError) -> DomainError:
    text = str(exc.orig).lower()
    field = "badge_id" if "badge" in text else "employee_id" if "employee" in text else "value"
    return DomainError(f"{field}_taken", f"that {field} belongs to someone else")


def _keep_consistent(session: Session, enrolment: Enrolment, analyzed: Analyzed, person: Person | None) -> Analyzed:
    """Drop (and report) the files that do not show the same person as the rest."""
    existing = enrolment.sync.gallery.vectors_of(person.id)[1] if person is not None else np.empty((0, 1))
    keep, refused = consistent_files(session, enrolment.rules, enrolment.sync.gallery,
                                     [name for name, _ in analyzed.accepted], analyzed.vectors, existing,
                                     person.id if person else None, enrolment.thresholds.global_threshold(session))
    rejected = analyzed.rejected + refused
    if not keep:
        raise DomainError(INCONSISTENT_FACE, "the photos do not show one person; nothing was stored",
                          rejected=[r.model_dump() for r in rejected])
    return Analyzed([analyzed.accepted[i] for i in keep], analyzed.vectors[keep], rejected)


def _store_templates(session: Session, enrolment: Enrolment, person: Person, analyzed: Analyzed,
                     allow_duplicate: bool, person_id: int | None) -> list[int]:
    """Insert templates and index them in one transaction with the person's other changes; the
    duplicate check runs inside it, under the write lock, so concurrent enrolments see each other."""
    with session.no_autoflush:
        fallback = enrolment.thresholds.global_threshold(session)
    templates = [FaceTemplate(person=person, vector=v.astype(np.float32).tobytes(), model_id=enrolment.model_id,
                              probability=c.detection.probability, face_px=c.detection.size,
                              sharpness=c.sharpness, chip_png=seal_crop(enrolment.data_keys, chip_png(c.chip)),
                              loose_png=seal_loose(enrolment.data_keys, loose.png()) if loose else None,
                              loose_geometry=loose.geometry() if loose else None, source_filename=name)
                 for (name, c), v in zip(analyzed.accepted, analyzed.vectors) for loose in [c.loose_crop()]]
    try:
        with index_transaction(session, enrolment.sync) as tx:
            with session.no_autoflush:  # the new templates are not in the session yet
                switched = model_in_force(session, enrolment.model_id) != enrolment.model_id
            if switched:
                raise DomainError(MODEL_SWITCHED, "the model in force changed while the photos were analysed; "
                                  "nothing was stored: send them again")
            if not allow_duplicate:
                check_duplicates(session, enrolment.rules, enrolment.sync.gallery, analyzed.vectors, person_id,
                                 fallback)
            session.add_all(templates)
            session.flush()
            tx.add([t.id for t in templates], [person.id] * len(templates), analyzed.vectors)
    except IntegrityError as exc:
        raise _unique_violation(exc) from exc
    return [t.id for t in templates]


def _check_validity(valid_from: datetime | None, valid_until: datetime | None, sent: list[datetime | None]) -> None:
    """Sent dates carry a zone; the period, once changed, ends after it starts."""
    if any(value is not None and value.tzinfo is None for value in sent):
        raise DomainError(INVALID_REQUEST, "validity dates need a time zone offset (e.g. 2027-01-31T18:00:00Z)")
    if valid_from is not None and valid_until is not None and aware(valid_until) <= aware(valid_from):
        raise DomainError(INVALID_REQUEST, "valid_until must be after valid_from")


def _utc(value: datetime | None) -> datetime | None:
    """A sent instant in UTC: the columns keep no offset (SQLite would keep the wall-clock time)."""
    return None if value is None else value.astimezone(timezone.utc)


def enroll(session: Session, enrolment: Enrolment, name: str, employee_id: str | None, badge_id: str | None,
           uploads: list[Upload], allow_duplicate: bool, groups: list[int] | None = None,
           valid_from: datetime | None = None,
           valid_until: datetime | None = None) -> tuple[Person, list[int], list[FileRejection]]:
    """Enrol a person into `groups`, or into the default group when none are named."""
    name, employee_id, badge_id = (clean_text(f, v) for f, v in
                                   (("name", name), ("employee_id", employee_id), ("badge_id", badge_id)))
    _check_validity(valid_from, valid_until, [valid_from, valid_until])
    valid_from, valid_until = _utc(valid_from), _utc(valid_until)
    group_ids = groups if groups else rights.default_group_ids(session)
    rights.check_groups(session, group_ids)
    for field, value in (("employee_id", employee_id), ("badge_id", badge_id)):
        if value and session.scalar(select(Person.id).where(getattr(Person, field) == value)) is not None:
            raise DomainError(f"{field}_taken", f"{field} {value!r} belongs to someone else")
    analyzed = _keep_consistent(session, enrolment,
                                analyze_uploads(enrolment.face_worker, uploads, enrolment.max_images), None)
    person = Person(name=name, employee_id=employee_id or None, badge_id=badge_id or None,
                    valid_from=valid_from, valid_until=valid_until)
    session.add(person)
    session.flush()
    rights.join_groups(session, person.id, group_ids)  # committed with the templates
    added = _store_templates(session, enrolment, person, analyzed, allow_duplicate, None)
    return person, added, analyzed.rejected


def add_faces(session: Session, enrolment: Enrolment, person: Person, uploads: list[Upload],
              allow_duplicate: bool) -> tuple[list[int], list[FileRejection]]:
    analyzed = _keep_consistent(session, enrolment,
                                analyze_uploads(enrolment.face_worker, uploads, enrolment.max_images), person)
    return _store_templates(session, enrolment, person, analyzed, allow_duplicate, person.id), analyzed.rejected


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise DomainError(UNKNOWN_PERSON, f"person {person_id} does not exist")
    return person


def list_people(session: Session, name: str | None, active: bool | None, offset: int,
                limit: int) -> tuple[list[Person], int]:
    query = select(Person)
    if name:
        query = query.where(func.lower(Person.name).contains(name.lower()))
    if active is not None:
        query = query.where(Person.active.is_(active))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.order_by(Person.id).offset(offset).limit(limit)).all()
    return list(items), int(total or 0)


def update_person(session: Session, person: Person, patch: PersonPatch) -> Person:
    changes = patch.model_dump(exclude_unset=True)
    _check_validity(changes.get("valid_from", person.valid_from), changes.get("valid_until", person.valid_until),
                    [changes.get("valid_from"), changes.get("valid_until")])
    changes.update({f: _utc(changes[f]) for f in ("valid_from", "valid_until") if changes.get(f) is not None})
    for field, value in changes.items():
        if field == "name" and value is None:
            raise DomainError(INVALID_NAME, "the name is empty or only spaces")
        setattr(person, field, clean_text(field, value) if field in TEXT_FIELDS else value)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise _unique_violation(exc) from exc
    return person


def remove_templates(session: Session, sync: GallerySync, person: Person, templates: list[FaceTemplate],
                     delete_person: bool = False) -> None:
    """Delete template rows (and the person, if asked) and their vectors in one operation."""
    with index_transaction(session, sync) as tx:
        ids = [t.id for t in templates]
        for template in templates:
            session.delete(template)
        if delete_person:
            session.delete(person)
        session.flush()
        tx.remove(ids, [person.id] * len(ids))


def remove_face(session: Session, sync: GallerySync, person: Person, template_id: int) -> None:
    template = session.get(FaceTemplate, template_id)
    if template is None or template.person_id != person.id:
        raise DomainError(UNKNOWN_TEMPLATE, f"person {person.id} has no template {template_id}")
    remove_templates(session, sync, person, _same_photo(person, template))


def _same_photo(person: Person, template: FaceTemplate) -> list[FaceTemplate]:
    """The template and every re-embedding of the same photo (under other models, either way)."""
    family, grew = {template.id}, True
    while grew:
        linked = {t.id for t in person.templates if t.derived_from in family or
                  (t.id not in family and any(f.derived_from == t.id for f in person.templates if f.id in family))}
        grew = not linked <= family
        family |= linked
    return [t for t in person.templates if t.id in family]
