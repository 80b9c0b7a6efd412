"""HTTP API for HR / front desk: enroll, list, change and remove people and their faces."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from app.core import clock
from app.core.edge import EdgeRoute, accepts_files
from app.core.ids import Offset, RowId
from app.core.sessions import SessionDep
from app.keys.auth import require
from app.keys.models import ENROLL
from app.people import service
from app.people.schemas import EnrollmentOut, PersonOut, PersonPage, PersonPatch
from app.rights import service as rights
from app.runtime import RuntimeDep

router = APIRouter(route_class=EdgeRoute, prefix="/v1/people", tags=["people"], dependencies=[Depends(require(ENROLL))])


def _enrolment(runtime: RuntimeDep) -> service.Enrolment:
    return service.Enrolment.of(runtime)


EnrolmentDep = Annotated[service.Enrolment, Depends(_enrolment)]


async def _read(files: list[UploadFile], limit: int) -> list[service.Upload]:
    # Read one byte past the limit: enough to know a file is too large without holding it all.
    return [service.Upload(f.filename or f"image{i}", await f.read(limit + 1)) for i, f in enumerate(files)]


@router.post("", status_code=201, response_model=EnrollmentOut)
@accepts_files(lambda s: s.max_images_per_enrollment, fields=64)  # groups may repeat
async def enroll(session: SessionDep, runtime: RuntimeDep, enrolment: EnrolmentDep,
                 name: str = Form(...), employee_id: str | None = Form(None),
                 badge_id: str | None = Form(None), allow_duplicate: bool = Form(False),
                 groups: list[RowId] | None = Form(None), valid_from: datetime | None = Form(None),
                 valid_until: datetime | None = Form(None),
                 images: list[UploadFile] = File(...)) -> EnrollmentOut:
    """`groups`: access group ids (repeat the field); none: the default group ("everyone")."""
    uploads = await _read(images, runtime.settings.max_upload_bytes)

    def work() -> EnrollmentOut:
        person, added, rejected = service.enroll(session, enrolment, name, employee_id, badge_id, uploads,
                                                 allow_duplicate, groups, valid_from, valid_until)
        session.refresh(person)
        return EnrollmentOut(person=PersonOut.model_validate(person), added_templates=added, rejected=rejected)

    return await run_in_threadpool(work)


@router.get("", response_model=PersonPage)
def list_people(session: SessionDep, name: str | None = None, active: bool | None = None,
                offset: Offset = 0, limit: int = Query(50, ge=1, le=500)) -> PersonPage:
    items, total = service.list_people(session, name, active, offset, limit)
    return PersonPage(items=[PersonOut.model_validate(p) for p in items], total=total, offset=offset, limit=limit)


@router.get("/{person_id}", response_model=PersonOut)
def get_person(person_id: RowId, session: SessionDep) -> PersonOut:
    return PersonOut.model_validate(service.get_person(session, person_id))


@router.get("/{person_id}/access")
def get_access(person_id: RowId, session: SessionDep, runtime: RuntimeDep) -> dict:
    """The doors and windows in force for a person, now and this week."""
    person = service.get_person(session, person_id)
    access = rights.person_access(session, person.id, person.valid_from, person.valid_until, clock.now(),
                                  runtime.settings.site_time_zone)
    return {**access, "active": person.active}


@router.patch("/{person_id}", response_model=PersonOut)
def patch_person(person_id: RowId, patch: PersonPatch, session: SessionDep) -> PersonOut:
    person = service.update_person(session, service.get_person(session, person_id), patch)
    session.refresh(person)
    return PersonOut.model_validate(person)


@router.delete("/{person_id}", status_code=204)
def delete_person(person_id: RowId, session: SessionDep, runtime: RuntimeDep) -> Response:
    person = service.get_person(session, person_id)
    service.remove_templates(session, runtime.sync, person, list(person.templates), delete_person=True)
    session.close()
    runtime.db.wipe_freed_pages()
    return Response(status_code=204)


@router.post("/{person_id}/faces", status_code=201, response_model=EnrollmentOut)
@accepts_files(lambda s: s.max_images_per_enrollment)
async def add_faces(person_id: RowId, session: SessionDep, runtime: RuntimeDep, enrolment: EnrolmentDep,
                    images: list[UploadFile] = File(...), allow_duplicate: bool = Form(False)) -> EnrollmentOut:
    uploads = await _read(images, runtime.settings.max_upload_bytes)

    def work() -> EnrollmentOut:
        person = service.get_person(session, person_id)
        added, rejected = service.add_faces(session, enrolment, person, uploads, allow_duplicate)
        session.refresh(person)
        return EnrollmentOut(person=PersonOut.model_validate(person), added_templates=added, rejected=rejected)

    return await run_in_threadpool(work)


@router.delete("/{person_id}/faces/{template_id}", status_code=204)
def delete_face(person_id: RowId, template_id: RowId, session: SessionDep, runtime: RuntimeDep) -> Response:
    service.remove_face(session, runtime.sync, service.get_person(session, person_id), template_id)
    return Response(status_code=204)
