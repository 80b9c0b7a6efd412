"""Why a photo cannot be used: one machine-readable reason per failure (codes in app/core/reasons.py)."""
from __future__ import annotations

from app.core.reasons import (  # noqa: F401 - the photo reasons, named where face code uses them
    FACE_TOO_BLURRY,
    FACE_TOO_SMALL,
    IMAGE_TOO_LARGE,
    IMAGE_TOO_SMALL,
    MULTIPLE_FACES,
    NO_FACE,
    NOT_AN_IMAGE,
    DomainError,
)


class FaceRejected(DomainError):
    """A photo was refused; `reason` is a stable machine code, `message` is for people."""
