"""The one face pipeline shared by serving, training-data preparation and evaluation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image

from app.face.align import align_face
from app.face.decode import decode_image
from app.face.detection import Detection
from app.face.encoder import Encoder
from app.face.errors import IMAGE_TOO_SMALL, FaceRejected
from app.face.loose import LooseCrop
from app.face.quality import QualityPolicy, select_door_face, select_training_face, sharpness


class Detector(Protocol):
    """BlazeFace + O-Net (app/face/lean_detector.py) or MTCNN (app/face/detect.py)."""

    def detect(self, image: Image.Image) -> list[Detection]: ...

    def detect_many(self, images: list[Image.Image]) -> list[list[Detection]]: ...


@dataclass(frozen=True)
class FaceChip:
    chip: np.ndarray  # (S, S, 3) uint8, aligned for the encoder
    detection: Detection
    sharpness: float
    photo: Image.Image | None = None  # the decoded photo, for loose_crop()

    def loose_crop(self) -> LooseCrop | None:
        """What an enrolled template keeps so a later model can re-embed it; cut only when asked
        (1.3 ms for a 240-px face in a 640x480 frame, which doors need not pay)."""
        return None if self.photo is None else LooseCrop.cut(self.photo, self.detection)

    def quality(self) -> dict[str, float]:
        return {"probability": round(self.detection.probability, 4),
                "face_px": round(self.detection.size, 1), "sharpness": round(self.sharpness, 1)}


class FacePipeline:
    def __init__(self, detector: Detector, encoder: Encoder, policy: QualityPolicy,
                 max_bytes: int = 10 * 2**20, max_pixels: int = 40_000_000) -> None:
        self.detector = detector
        self.encoder = encoder
        self.policy = policy
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def _chip(self, image: Image.Image, detection: Detection) -> FaceChip:
        align = self.encoder.alignment
        chip = align_face(image, detection.landmarks, align.template, align.size)
        return FaceChip(chip, detection, sharpness(chip), image)

    def door_chip(self, data: bytes) -> FaceChip:
        """Decode an uploaded photo and align its one usable face; FaceRejected otherwise."""
        result = self.door_chips([data])[0]
        if isinstance(result, FaceRejected):
            raise result
        return result

    def door_chips(self, photos: list[bytes]) -> list[FaceChip | FaceRejected]:
        """door_chip() for several photos at once, detecting them as a batch; each fails alone."""
        decoded: list[Image.Image | FaceRejected] = []
        for data in photos:
            try:
                decoded.append(self._door_image(data))
            except FaceRejected as exc:
                decoded.append(exc)
        found = iter(self.detector.detect_many([d for d in decoded if isinstance(d, Image.Image)]))
        return [d if isinstance(d, FaceRejected) else self._usable_chip(d, next(found)) for d in decoded]

    def _door_image(self, data: bytes) -> Image.Image:
        """A decoded photo big enough to hold a face the quality gate would accept."""
        image = decode_image(data, self.max_bytes, self.max_pixels)
        least = self.policy.min_face_px
        if min(image.size) < least:
            raise FaceRejected(IMAGE_TOO_SMALL, f"the image is {image.width}x{image.height} px; a usable face "
                               f"needs at least {least} px, so both sides must be at least {least} px")
        return image

    def _usable_chip(self, image: Image.Image, faces: list[Detection]) -> FaceChip | FaceRejected:
        try:
            return self._chip(image, select_door_face(faces, self.policy))
        except FaceRejected as exc:
            return exc

    def training_chip(self, image: Image.Image) -> FaceChip | None:
        """The labelled face of a data-set photo, or None when no face is found."""
        detection = select_training_face(self.detector.detect(image), image.size)
        return None if detection is None else self._chip(image, detection)

    def embed(self, chips: list[FaceChip]) -> np.ndarray:
        return self.encoder.embed(np.stack([c.chip for c in chips])) if chips else \
            np.empty((0, self.encoder.dim), np.float32)
