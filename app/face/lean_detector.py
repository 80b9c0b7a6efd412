"""The serving face detector: BlazeFace proposes face boxes, MTCNN's O-Net scores them and places
the five landmarks the alignment template expects. Both on ONNX Runtime, glue in numpy.

About a third of MTCNN's cost on a door frame (benchmarks/detect_scale.py): BlazeFace looks
at the whole frame once instead of P-Net's pyramid and R-Net's hundreds of crops, and O-Net
runs on a handful of boxes. O-Net's probability is the face probability reported, the same
figure MTCNN reports, so the quality gate keeps its meaning; BlazeFace's own score only
decides which boxes O-Net sees.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from app.face.blazeface import BlazeFace
from app.face.detection import Detection
from app.face.onet import ONet, square

MAX_PROPOSALS = 8  # O-Net looks at most at this many boxes per photo (best BlazeFace scores)


class LeanDetector:
    """Not thread-safe: one caller at a time (the face worker, or a data-preparation loop)."""

    def __init__(self, blazeface: Path, onet: Path, threads: int = 1, min_proposal_score: float = 0.5) -> None:
        self._blazeface = BlazeFace(blazeface, threads, min_proposal_score)
        self._onet = ONet(onet, threads)

    def detect(self, image: Image.Image) -> list[Detection]:
        """All faces found, most probable first."""
        proposals = self._blazeface.propose(image)[:MAX_PROPOSALS]
        if not proposals:
            return []
        boxes = square(np.stack([p.box for p in proposals]))
        probabilities, refined, landmarks = self._onet.refine(image, boxes)
        faces = [Detection(b, float(p), l) for b, p, l in zip(refined, probabilities, landmarks)]
        return sorted(faces, key=lambda d: -d.probability)

    def detect_many(self, images: list[Image.Image]) -> list[list[Detection]]:
        """detect() for each image (BlazeFace's graph takes one photo per run)."""
        return [self.detect(image) for image in images]
