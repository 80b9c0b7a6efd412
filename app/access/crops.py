"""The aligned probe crop kept with an event whose face matched a template (for explanations)."""
from __future__ import annotations

import numpy as np
from sqlalchemy import ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import Base
from app.people.service import chip_png


class EventCrop(Base):
    """Only admitted or matched decisions keep one: the crop and the template it was nearest to.
    Deleting the event deletes the crop; the template id is a plain value (templates come and go)."""

    __tablename__ = "event_crop"

    event_id: Mapped[int] = mapped_column(ForeignKey("access_event.id", ondelete="CASCADE"), primary_key=True)
    template_id: Mapped[int] = mapped_column(Integer)
    chip_png: Mapped[bytes] = mapped_column(LargeBinary)


def keep_crop(session: Session, event_id: int, template_id: int, chip: np.ndarray) -> None:
    """Called for admitted or matched decisions only; every other event keeps no face."""
    session.add(EventCrop(event_id=event_id, template_id=template_id, chip_png=chip_png(chip)))
