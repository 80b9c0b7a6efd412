"""Explain a decision against the template it matched, from the probe crop kept with its event."""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session

from app.access.crops import EventCrop, open_event_crop
from app.access.models import AccessEvent
from app.core.reasons import EXPLANATIONS_UNAVAILABLE, NO_EXPLANATION, UNKNOWN_EVENT, DomainError
from app.face.explain import CellExplainer, CellMap, ExplanationsUnavailable, render_overlay
from app.gallery.models import FaceTemplate
from app.people.crops import open_crop
from app.security.crypto import DataKeys


@dataclass(frozen=True)
class Explanation:
    png: bytes
    template: FaceTemplate
    cell_map: CellMap


def _chip(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


@lru_cache(maxsize=1)
def _explainer(card_path: Path) -> CellExplainer:
    """The card's explanation graph, loaded on the first explanation (the door path never needs it)."""
    return CellExplainer.load(card_path)


def explain_event(session: Session, card_path: Path, data_keys: DataKeys, event_id: int) -> Explanation:
    """The overlay of the event's probe crop against the template that decided it; 404 when
    the event is unknown or kept no crop (not matched, or purged with its event), or its template
    (or the template's crop) is gone."""
    if session.get(AccessEvent, event_id) is None:
        raise DomainError(UNKNOWN_EVENT, f"event {event_id} does not exist")
    crop = session.get(EventCrop, event_id)
    if crop is None:
        raise DomainError(NO_EXPLANATION, "only admitted or matched decisions keep the probe crop")
    template = session.get(FaceTemplate, crop.template_id)
    if template is None or template.chip_png is None:
        raise DomainError(NO_EXPLANATION, f"template {crop.template_id} that decided the event is gone")
    try:
        explainer = _explainer(card_path)
    except ExplanationsUnavailable as exc:
        raise DomainError(EXPLANATIONS_UNAVAILABLE, str(exc)) from exc
    probe, prototype = _chip(open_event_crop(data_keys, crop)), _chip(open_crop(data_keys, template.chip_png))
    cell_map = explainer.explain(probe, prototype)
    return Explanation(render_overlay(probe, prototype, cell_map), template, cell_map)
