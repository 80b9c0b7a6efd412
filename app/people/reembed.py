"""Re-embedding the gallery with another model, from the loose crops kept at enrolment.

Every template in force whose photo has no counterpart under the new model yet is aligned
again from its loose crop with the new card's template and encoded by the new encoder, into a
new template row (model = the new card, derived_from = the old row) beside the old one. The
doors keep using the old set until `facegate models switch`. It runs in batches, each committed,
and picks up where it stopped: running it again after new enrolments adds only those.
Templates with no loose crop (enrolled before crops were kept) cannot be re-embedded: they are
reported, and their people need a new photo.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from app.core.reasons import IN_USE, DomainError
from app.face.encoder import Encoder
from app.face.loose import LooseCrop
from app.face.quality import sharpness
from app.gallery.model_sets import pin_model, uncovered
from app.gallery.models import FaceTemplate
from app.people.crops import open_loose, seal_crop
from app.people.service import chip_png
from app.security.crypto import DataKeys

BATCH = 64


@dataclass
class ReembedResult:
    source_model_id: str
    model_id: str
    reembedded: int = 0  # by this run
    without_loose_crop: list[dict[str, int]] = field(default_factory=list)  # template_id, person_id

    def as_dict(self) -> dict:
        return {"from": self.source_model_id, "to": self.model_id, "reembedded": self.reembedded,
                "without_loose_crop": self.without_loose_crop}


def _rederived(keys: DataKeys, encoder: Encoder, row: FaceTemplate, chip: np.ndarray,
               vector: np.ndarray) -> FaceTemplate:
    return FaceTemplate(person_id=row.person_id, vector=vector.astype(np.float32).tobytes(), model_id=encoder.model_id,
                        probability=row.probability, face_px=row.face_px, sharpness=sharpness(chip),
                        chip_png=seal_crop(keys, chip_png(chip)), loose_png=row.loose_png,
                        loose_geometry=row.loose_geometry, derived_from=row.id, source_filename=row.source_filename)


def reembed(session: Session, keys: DataKeys, encoder: Encoder, source_model_id: str,
            batch: int = BATCH) -> ReembedResult:
    """Build `encoder`'s template set from the set of `source_model_id` (the one in force)."""
    if encoder.model_id == source_model_id:
        raise DomainError(IN_USE, f"{source_model_id} is the model in force: name another card")
    pin_model(session, source_model_id)
    session.commit()
    result = ReembedResult(source_model_id, encoder.model_id)
    align = encoder.alignment
    after = 0
    while True:
        rows = session.scalars(uncovered(source_model_id, encoder.model_id)
                               .where(FaceTemplate.loose_png.is_not(None), FaceTemplate.id > after)
                               .order_by(FaceTemplate.id).limit(batch)).all()
        if not rows:
            break
        chips = np.stack([LooseCrop.from_stored(open_loose(keys, r.loose_png), r.loose_geometry)
                          .align(align.template, align.size) for r in rows])
        vectors = encoder.embed(chips)
        session.add_all(_rederived(keys, encoder, r, c, v) for r, c, v in zip(rows, chips, vectors))
        session.commit()
        result.reembedded += len(rows)
        after = rows[-1].id
    left = session.scalars(uncovered(source_model_id, encoder.model_id)
                           .where(FaceTemplate.loose_png.is_(None)).order_by(FaceTemplate.id)).all()
    result.without_loose_crop = [{"template_id": t.id, "person_id": t.person_id} for t in left]
    return result
