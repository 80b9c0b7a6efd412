"""Keep a decision's probe crop, and explain the decision against the template it matched."""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session

from app.access.crops import EventCrop
from app.access.models import AccessEvent
from app.core.reasons import EXPLANATIONS_UNAVAILABLE, NO_EXPLANATION, UNKNOWN_EVENT, DomainError
from app.face.encoder import Encoder

if TYPE_CHECKING:
    import torch
from app.gallery.models import FaceTemplate
from app.people.crops import open_crop
from app.security.crypto import DataKeys


@dataclass(frozen=True)
class Explanation:
    png: bytes
    template: FaceTemplate
    mean_similarity: float


def _chip(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


@lru_cache(maxsize=1)
def _torch_network(card_path: Path) -> "torch.nn.Module":
    """The card's network in PyTorch, loaded on the first explanation (the door path never needs it)."""
    return Encoder.load(card_path).network


def explain_event(session: Session, card_path: Path, data_keys: DataKeys, event_id: int) -> Explanation:
    """The overlay of the event's probe crop against the template that decided it; 404 when
    the event is unknown or kept no crop, or its template (or the template's crop) is gone."""
    if session.get(AccessEvent, event_id) is None:
        raise DomainError(UNKNOWN_EVENT, f"event {event_id} does not exist")
    crop = session.get(EventCrop, event_id)
    if crop is None:
        raise DomainError(NO_EXPLANATION, "only admitted or matched decisions keep the probe crop")
    template = session.get(FaceTemplate, crop.template_id)
    if template is None or template.chip_png is None:
        raise DomainError(NO_EXPLANATION, f"template {crop.template_id} that decided the event is gone")
    try:  # the similarity map reads the network's inner features: PyTorch, from facegate[train]
        from app.face.explain import render_overlay, similarity_map
        network = _torch_network(card_path)
    except ImportError as exc:
        raise DomainError(EXPLANATIONS_UNAVAILABLE, "explanations need PyTorch: install facegate[train]") from exc
    probe, prototype = _chip(crop.chip_png), _chip(open_crop(data_keys, template.chip_png))
    try:
        similarity = similarity_map(network, probe, prototype)
    except ValueError as exc:
        raise DomainError(EXPLANATIONS_UNAVAILABLE, str(exc)) from exc
    return Explanation(render_overlay(probe, prototype, similarity), template, float(similarity.mean()))
