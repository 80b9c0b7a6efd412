"""HTTP API for access rights (admin; membership also for enrol keys): groups, members, schedules,
grants, anti-passback areas and forgiving one person."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from app.core.edge import EdgeRoute
from app.core.ids import RowId
from app.core.sessions import SessionDep
from app.keys.auth import require
from app.keys.models import ADMIN, ENROLL
from app.rights import service
from app.rights.schemas import (
    AreaIn,
    AreaOut,
    GrantIn,
    GrantOut,
    GroupIn,
    GroupOut,
    GroupPatch,
    ScheduleIn,
    ScheduleOut,
    SchedulePut,
)

router = APIRouter(route_class=EdgeRoute, prefix="/v1/admin", tags=["rights"])
admin = [Depends(require(ADMIN))]


@router.post("/groups", status_code=201, response_model=GroupOut, dependencies=admin)
def create_group(body: GroupIn, session: SessionDep) -> GroupOut:
    return GroupOut.model_validate(service.create_group(session, body))


@router.get("/groups", response_model=list[GroupOut], dependencies=[Depends(require(ENROLL))])
def list_groups(session: SessionDep) -> list[GroupOut]:
    return [GroupOut.model_validate(g) for g in service.list_groups(session)]


@router.patch("/groups/{group_id}", response_model=GroupOut, dependencies=admin)
def update_group(group_id: RowId, body: GroupPatch, session: SessionDep) -> GroupOut:
    return GroupOut.model_validate(service.update_group(session, group_id, body))


@router.delete("/groups/{group_id}", status_code=204, dependencies=admin)
def delete_group(group_id: RowId, session: SessionDep, cascade: bool = False) -> Response:
    service.delete_group(session, group_id, cascade)
    return Response(status_code=204)


@router.get("/groups/{group_id}/members", response_model=list[int], dependencies=[Depends(require(ENROLL))])
def list_members(group_id: RowId, session: SessionDep) -> list[int]:
    return service.members(session, group_id)


@router.put("/groups/{group_id}/members/{person_id}", status_code=204, dependencies=[Depends(require(ENROLL))])
def add_member(group_id: RowId, person_id: RowId, session: SessionDep) -> Response:
    service.add_member(session, group_id, person_id)
    return Response(status_code=204)


@router.delete("/groups/{group_id}/members/{person_id}", status_code=204, dependencies=[Depends(require(ENROLL))])
def remove_member(group_id: RowId, person_id: RowId, session: SessionDep) -> Response:
    service.remove_member(session, group_id, person_id)
    return Response(status_code=204)


@router.post("/schedules", status_code=201, response_model=ScheduleOut, dependencies=admin)
def create_schedule(body: ScheduleIn, session: SessionDep) -> ScheduleOut:
    return ScheduleOut.model_validate(service.create_schedule(session, body))


@router.get("/schedules", response_model=list[ScheduleOut], dependencies=admin)
def list_schedules(session: SessionDep) -> list[ScheduleOut]:
    return [ScheduleOut.model_validate(s) for s in service.list_schedules(session)]


@router.put("/schedules/{schedule_id}", response_model=ScheduleOut, dependencies=admin)
def replace_schedule(schedule_id: RowId, body: SchedulePut, session: SessionDep) -> ScheduleOut:
    return ScheduleOut.model_validate(service.replace_schedule(session, schedule_id, body))


@router.delete("/schedules/{schedule_id}", status_code=204, dependencies=admin)
def delete_schedule(schedule_id: RowId, session: SessionDep, cascade: bool = False) -> Response:
    service.delete_schedule(session, schedule_id, cascade)
    return Response(status_code=204)


@router.post("/grants", status_code=201, response_model=GrantOut, dependencies=admin)
def create_grant(body: GrantIn, session: SessionDep) -> GrantOut:
    return GrantOut.model_validate(service.create_grant(session, body))


@router.get("/grants", response_model=list[GrantOut], dependencies=admin)
def list_grants(session: SessionDep, door_id: RowId | None = None, group_id: RowId | None = None) -> list[GrantOut]:
    return [GrantOut.model_validate(g) for g in service.list_grants(session, door_id, group_id)]


@router.delete("/grants/{grant_id}", status_code=204, dependencies=admin)
def delete_grant(grant_id: RowId, session: SessionDep) -> Response:
    service.delete_grant(session, grant_id)
    return Response(status_code=204)


@router.post("/areas", status_code=201, response_model=AreaOut, dependencies=admin)
def create_area(body: AreaIn, session: SessionDep) -> AreaOut:
    return AreaOut.model_validate(service.area_out(session, service.create_area(session, body)))


@router.get("/areas", response_model=list[AreaOut], dependencies=admin)
def list_areas(session: SessionDep) -> list[AreaOut]:
    return [AreaOut.model_validate(service.area_out(session, a)) for a in service.list_areas(session)]


@router.delete("/areas/{area_id}", status_code=204, dependencies=admin)
def delete_area(area_id: RowId, session: SessionDep) -> Response:
    service.delete_area(session, area_id)
    return Response(status_code=204)


@router.post("/areas/{area_id}/forgive/{person_id}", dependencies=admin)
def forgive(area_id: RowId, person_id: RowId, session: SessionDep) -> dict:
    return {"area_id": area_id, "person_id": person_id, "was_inside": service.forgive(session, area_id, person_id)}
