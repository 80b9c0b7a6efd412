"""Why a photo cannot be used: one machine-readable reason per failure."""
from __future__ import annotations


class FaceRejected(Exception):
    """A photo was refused; `reason` is a stable machine code, `message` is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


NOT_AN_IMAGE = "not_an_image"
IMAGE_TOO_LARGE = "image_too_large"
NO_FACE = "no_face"
MULTIPLE_FACES = "multiple_faces"
FACE_TOO_SMALL = "face_too_small"
FACE_TOO_BLURRY = "face_too_blurry"
