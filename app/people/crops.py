"""Face crops at rest (the aligned chip, and the loose crop a later model re-embeds from): sealed
with the current data key (AES-GCM), each under its own purpose; crops stored before encryption
are sealed at start, and rotation re-encrypts all."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.gallery.models import FaceTemplate
from app.security.crypto import DataKeys
from app.security.sealed_rows import reseal_columns

PURPOSE = b"face_template.chip_png"
LOOSE_PURPOSE = b"face_template.loose_png"


def seal_crop(keys: DataKeys, png: bytes) -> bytes:
    return keys.seal(png, PURPOSE)


def open_crop(keys: DataKeys, stored: bytes) -> bytes:
    return keys.open(stored, PURPOSE)


def seal_loose(keys: DataKeys, png: bytes) -> bytes:
    return keys.seal(png, LOOSE_PURPOSE)


def open_loose(keys: DataKeys, stored: bytes) -> bytes:
    return keys.open(stored, LOOSE_PURPOSE)


def reseal_crops(session: Session, keys: DataKeys, only_plain: bool) -> int:
    """Seal plain crops (only_plain) or re-encrypt every crop not under the current key, the aligned
    chip and the loose crop each under its purpose; returns how many templates changed."""
    return reseal_columns(session, keys, {FaceTemplate.chip_png: PURPOSE, FaceTemplate.loose_png: LOOSE_PURPOSE},
                          only_plain)
