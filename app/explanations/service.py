"""Keep a decision's probe crop, and explain the decision against the template it matched."""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session

from app.access.models import AccessEvent
from app.core.errors import ApiError
from app.explanations.models import EventCrop
from app.face.encoder import Encoder
from app.face.explain import render_overlay, similarity_map
from app.people.models import FaceTemplate
from app.people.service import chip_png


def keep_crop(session: Session, event_id: int, template_id: int, chip: np.ndarray) -> None:
    """Called for admitted or matched decisions only; every other event keeps no face."""
    session.add(EventCrop(event_id=event_id, template_id=template_id, chip_png=chip_png(chip)))


@dataclass(frozen=True)
class Explanation:
    png: bytes
    template: FaceTemplate
    mean_similarity: float


def _chip(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


def explain_event(session: Session, encoder: Encoder, event_id: int) -> Explanation:
    """The overlay of the event's probe crop against the template that decided it; 404 when
    the event is unknown or kept no crop, or its template (or the template's crop) is gone."""
    if session.get(AccessEvent, event_id) is None:
        raise ApiError(404, "unknown_event", f"event {event_id} does not exist")
    crop = session.get(EventCrop, event_id)
    if crop is None:
        raise ApiError(404, "no_explanation", "only admitted or matched decisions keep the probe crop")
    template = session.get(FaceTemplate, crop.template_id)
    if template is None or template.chip_png is None:
        raise ApiError(404, "no_explanation", f"template {crop.template_id} that decided the event is gone")
    probe, prototype = _chip(crop.chip_png), _chip(template.chip_png)
    try:
        similarity = similarity_map(encoder.network, probe, prototype)
    except ValueError as exc:
        raise ApiError(409, "unsupported_model", str(exc)) from exc
    return Explanation(render_overlay(probe, prototype, similarity), template, float(similarity.mean()))
