"""The aligned probe crop kept with an event whose face matched a template (for explanations):
sealed under the current data key like the templates' crops, and purged with its event."""
from __future__ import annotations

import numpy as np
from sqlalchemy import ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import Base
from app.people.service import chip_png
from app.security.crypto import DataKeys
from app.security.sealed_rows import reseal_columns

PURPOSE = b"event_crop.chip_png"


class EventCrop(Base):
    """Only admitted or matched decisions keep one: the crop and the template it was nearest to.
    Deleting the event (retention purges it) deletes the crop; the template id is a plain value
    (templates come and go)."""

    __tablename__ = "event_crop"

    event_id: Mapped[int] = mapped_column(ForeignKey("access_event.id", ondelete="CASCADE"), primary_key=True)
    template_id: Mapped[int] = mapped_column(Integer)
    chip_png: Mapped[bytes] = mapped_column(LargeBinary)  # sealed (app/security/crypto.py)


def keep_crop(session: Session, keys: DataKeys, event_id: int, template_id: int, chip: np.ndarray) -> None:
    """Called for admitted or matched decisions only; every other event keeps no face."""
    session.add(EventCrop(event_id=event_id, template_id=template_id,
                          chip_png=keys.seal(chip_png(chip), PURPOSE)))


def open_event_crop(keys: DataKeys, crop: EventCrop) -> bytes:
    """The crop's PNG; a value no known key opens raises DecryptionError."""
    return keys.open(crop.chip_png, PURPOSE)


def reseal_event_crops(session: Session, keys: DataKeys, only_plain: bool) -> int:
    """Seal crops kept before encryption (only_plain) or re-encrypt those not under the current key."""
    return reseal_columns(session, keys, {EventCrop.chip_png: PURPOSE}, only_plain)
