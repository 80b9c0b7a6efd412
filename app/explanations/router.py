"""GET /v1/admin/events/{id}/explanation: the probe, the prototype it matched and where they agree."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from app.core.edge import EdgeRoute
from app.core.ids import RowId
from app.core.sessions import SessionDep
from app.explanations.service import explain_event
from app.keys.auth import require
from app.keys.models import ADMIN
from app.runtime import RuntimeDep

router = APIRouter(route_class=EdgeRoute, prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require(ADMIN))])


@router.get("/events/{event_id}/explanation", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def event_explanation(event_id: RowId, runtime: RuntimeDep, session: SessionDep) -> Response:
    """PNG: probe crop | template crop | probe under each cell's pull on the probe-template
    cosine (red for the match, blue against it), with a legend. The headers name the template and
    its person, and give the cosine and distance the map explains (the decision's distance)."""
    found = explain_event(session, runtime.settings.model_card, runtime.data_keys, event_id)
    return Response(found.png, media_type="image/png", headers={
        "X-Template-Id": str(found.template.id), "X-Person-Id": str(found.template.person_id),
        "X-Embedding-Cosine": f"{found.cell_map.cosine:.4f}", "X-Distance": f"{found.cell_map.distance:.4f}"})
