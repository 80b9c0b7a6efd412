"""The serving face detector: BlazeFace proposes face boxes, MTCNN's O-Net scores them and places
the five landmarks the alignment template expects. Both on ONNX Runtime, glue in numpy.

About a third of MTCNN's cost on a door frame (benchmarks/detect_scale.py): BlazeFace looks
at the whole frame once instead of P-Net's pyramid and R-Net's hundreds of crops, and O-Net
runs on a handful of boxes. O-Net's probability is the face probability reported, the same
figure MTCNN reports, so the quality gate keeps its meaning; BlazeFace's own score only
decides which boxes O-Net sees.

O-Net was trained to refine R-Net's boxes, and BlazeFace's squared box sits lower and tighter
than those: the R-Net box MTCNN shows O-Net for a face is ~12% larger and centred ~7% of the
side higher (median over training-side dev photos, tools/fit_onet_box.py). O-Net runs once, on
each box moved by that fixed amount; on the raw box its landmarks land away from MTCNN's and
cost held-out accuracy (models/README.md has the figures).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from app.face.blazeface import BlazeFace
from app.face.detection import Detection
from app.face.onet import ONet, square

MAX_PROPOSALS = 8  # O-Net looks at most at this many boxes per photo (best BlazeFace scores)
# Where R-Net's box (O-Net's input in MTCNN) sits relative to BlazeFace's squared box: centre
# shift (x, y) and side ratio, in units of the side (tools/fit_onet_box.py).
ONET_BOX_SHIFT = (-0.0095, -0.0712)
ONET_BOX_SCALE = 1.1204


def onet_boxes(proposals: np.ndarray, shift: tuple[float, float] = ONET_BOX_SHIFT,
               scale: float = ONET_BOX_SCALE) -> np.ndarray:
    """(N, 4) BlazeFace boxes -> the square boxes O-Net is shown (about where R-Net's would be)."""
    boxes = square(proposals)
    side = boxes[:, 2] - boxes[:, 0]
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 + side[:, None] * np.asarray(shift)
    half = (scale * side / 2)[:, None]
    return np.concatenate([centre - half, centre + half], 1)


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
        boxes = np.stack([p.box for p in proposals])
        # O-Net sees each face where R-Net would have shown it, so its probability, box and
        # landmarks mean what they mean inside MTCNN.
        probabilities, refined, landmarks = self._onet.refine(image, onet_boxes(boxes))
        faces = [Detection(b, float(p), l) for b, p, l in zip(refined, probabilities, landmarks)]
        return sorted(faces, key=lambda d: -d.probability)

    def detect_many(self, images: list[Image.Image]) -> list[list[Detection]]:
        """detect() for each image (BlazeFace's graph takes one photo per run)."""
        return [self.detect(image) for image in images]
