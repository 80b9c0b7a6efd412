"""Face crops at rest (the aligned chip, and the loose crop a later model re-embeds from): sealed
with the current data key (AES-GCM), each under its own purpose; crops stored before encryption
are sealed at start, and rotation re-encrypts all."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.gallery.models import FaceTemplate
from app.security.crypto import DataKeys, is_sealed

PURPOSE = b"face_template.chip_png"
LOOSE_PURPOSE = b"face_template.loose_png"
BATCH = 200


def seal_crop(keys: DataKeys, png: bytes) -> bytes:
    return keys.seal(png, PURPOSE)


def open_crop(keys: DataKeys, stored: bytes) -> bytes:
    return keys.open(stored, PURPOSE)


def seal_loose(keys: DataKeys, png: bytes) -> bytes:
    return keys.seal(png, LOOSE_PURPOSE)


def open_loose(keys: DataKeys, stored: bytes) -> bytes:
    return keys.open(stored, LOOSE_PURPOSE)


def _resealed(keys: DataKeys, stored: bytes | None, purpose: bytes, only_plain: bool) -> bytes | None:
    """The value sealed under the current key, or None when it needs no change."""
    if stored is None:
        return None
    if not is_sealed(stored):
        return keys.seal(stored, purpose)
    if not only_plain and keys.key_of(stored) != keys.current:
        return keys.seal(keys.open(stored, purpose), purpose)
    return None


def reseal_crops(session: Session, keys: DataKeys, only_plain: bool) -> int:
    """Seal plain crops (only_plain) or re-encrypt every crop not under the current key; returns
    how many changed. Commits a batch at a time, so it can be interrupted and run again."""
    changed, after = 0, 0
    while True:
        rows = session.scalars(select(FaceTemplate).where(FaceTemplate.id > after,
                                                          FaceTemplate.chip_png.is_not(None)
                                                          | FaceTemplate.loose_png.is_not(None))
                               .order_by(FaceTemplate.id).limit(BATCH)).all()
        if not rows:
            return changed
        for row in rows:
            chip = _resealed(keys, row.chip_png, PURPOSE, only_plain)
            loose = _resealed(keys, row.loose_png, LOOSE_PURPOSE, only_plain)
            if chip is not None:
                row.chip_png = chip
            if loose is not None:
                row.loose_png = loose
            changed += chip is not None or loose is not None
        session.commit()
        after = rows[-1].id
