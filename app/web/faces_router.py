"""Aligned face crops for the console (admin and enrol roles only, never terminals)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from app.core.edge import EdgeRoute
from app.core.ids import RowId
from app.core.reasons import UNKNOWN_TEMPLATE, DomainError
from app.gallery.models import FaceTemplate
from app.keys.auth import require
from app.keys.models import ENROLL
from app.people.crops import open_crop
from app.runtime import Runtime, get_runtime

router = APIRouter(route_class=EdgeRoute, prefix="/v1/people", tags=["people"], dependencies=[Depends(require(ENROLL))])


@router.get("/{person_id}/faces/{template_id}/crop.png", summary="A template's aligned face crop (PNG)",
            responses={200: {"content": {"image/png": {}}}, 404: {"description": "unknown face or no crop kept"}})
def face_crop(person_id: RowId, template_id: RowId, runtime: Runtime = Depends(get_runtime)) -> Response:
    with runtime.db.session() as session:
        template = session.get(FaceTemplate, template_id)
        if template is None or template.person_id != person_id or template.chip_png is None:
            raise DomainError(UNKNOWN_TEMPLATE, f"person {person_id} has no face crop {template_id}")
        # Private: a biometric image must not sit in shared caches.
        return Response(open_crop(runtime.data_keys, template.chip_png), media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
