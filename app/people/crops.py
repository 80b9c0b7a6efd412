"""Aligned face crops at rest: sealed with the current data key (AES-GCM), opened only to
re-embed; crops stored before encryption are sealed at start, and rotation re-encrypts all."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.gallery.models import FaceTemplate
from app.security.crypto import DataKeys, is_sealed

PURPOSE = b"face_template.chip_png"
BATCH = 200


def seal_crop(keys: DataKeys, png: bytes) -> bytes:
    return keys.seal(png, PURPOSE)


def open_crop(keys: DataKeys, stored: bytes) -> bytes:
    return keys.open(stored, PURPOSE)


def reseal_crops(session: Session, keys: DataKeys, only_plain: bool) -> int:
    """Seal plain crops (only_plain) or re-encrypt every crop not under the current key; returns
    how many changed. Commits a batch at a time, so it can be interrupted and run again."""
    changed, after = 0, 0
    while True:
        rows = session.scalars(select(FaceTemplate).where(FaceTemplate.id > after, FaceTemplate.chip_png.is_not(None))
                               .order_by(FaceTemplate.id).limit(BATCH)).all()
        if not rows:
            return changed
        for row in rows:
            if not is_sealed(row.chip_png):
                row.chip_png = seal_crop(keys, row.chip_png)
            elif not only_plain and keys.key_of(row.chip_png) != keys.current:
                row.chip_png = seal_crop(keys, open_crop(keys, row.chip_png))
            else:
                continue
            changed += 1
        session.commit()
        after = rows[-1].id
