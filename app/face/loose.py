"""A loose, unaligned face crop with its landmarks, so a later alignment or encoder can re-embed.

The aligned chip is cut for one alignment template; a new template (or an encoder wanting a
wider or differently placed face) cannot be cut from it. The loose crop is the detection's box
enlarged LOOSE_FACTOR times around its centre (outside the photo: black), downscaled to at most
LOOSE_MAX_SIDE pixels, with the detector's five landmarks in the crop's own coordinates:
aligning the crop with any template gives what aligning the photo would, at the crop's scale.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from app.face.align import align_face
from app.face.decode import png_bytes
from app.face.detection import Detection

LOOSE_FACTOR = 2.0
LOOSE_MAX_SIDE = 256


@dataclass(frozen=True)
class LooseCrop:
    image: np.ndarray  # (H, W, 3) uint8, not aligned
    landmarks: np.ndarray  # (5, 2) in crop pixels, the detector's order

    @classmethod
    def cut(cls, image: Image.Image, detection: Detection) -> "LooseCrop":
        x1, y1, x2, y2 = (float(v) for v in detection.box)
        side = max(1, round(LOOSE_FACTOR * max(x2 - x1, y2 - y1)))
        left, top = round((x1 + x2 - side) / 2), round((y1 + y2 - side) / 2)
        out = min(LOOSE_MAX_SIDE, side)
        # crop pads outside the photo with black; resize filters the whole area it shrinks.
        crop = image.convert("RGB").crop((left, top, left + side, top + side)).resize((out, out), Image.BILINEAR)
        landmarks = (np.asarray(detection.landmarks, np.float64) - (left, top)) * (out / side)
        return cls(np.asarray(crop, np.uint8), landmarks)

    def png(self) -> bytes:
        return png_bytes(self.image)

    def geometry(self) -> dict[str, Any]:
        """What is stored beside the (sealed) PNG: the landmarks in crop pixels."""
        return {"landmarks": np.round(self.landmarks, 3).tolist(), "factor": LOOSE_FACTOR}

    @classmethod
    def from_stored(cls, png: bytes, geometry: dict[str, Any]) -> "LooseCrop":
        image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), np.uint8)
        landmarks = np.asarray(geometry["landmarks"], np.float64)
        if landmarks.shape != (5, 2):
            raise ValueError("a loose crop needs five landmarks")
        return cls(image, landmarks)

    def align(self, template: np.ndarray, size: int) -> np.ndarray:
        """The chip an alignment `template` of side `size` would cut from this crop."""
        return align_face(Image.fromarray(self.image), self.landmarks, template, size)
