"""Several frames of one probe fused into one vector: a door camera sees a person for a second.

Each usable frame's unit embedding is weighted by its quality (detection probability
times face size up to FULL_WEIGHT_PX) and the weighted mean is renormalised; unusable
frames are left out. Averaging cancels per-frame noise (pose, blur, lighting), so a
person comes closer to their own templates (benchmarks/open_set.py measures by how much,
and whether strangers come closer too).
"""
from __future__ import annotations

import numpy as np

from app.face.errors import FaceRejected
from app.face.worker import FaceResult

FULL_WEIGHT_PX = 80.0
MAX_FRAMES = 5


def frame_weight(probability: float, face_px: float) -> float:
    return float(probability) * min(1.0, float(face_px) / FULL_WEIGHT_PX)


def fuse(results: list[FaceResult | FaceRejected]) -> tuple[FaceResult | FaceRejected, int]:
    """The fused result (the best frame's chip, the weighted mean vector) and the frames used;
    the first frame's refusal when none was usable."""
    usable = [r for r in results if isinstance(r, FaceResult)]
    if not usable:
        return results[0], 0
    weights = np.array([frame_weight(r.face.detection.probability, r.face.detection.size) for r in usable])
    mean = (weights[:, None] * np.stack([r.vector for r in usable])).sum(axis=0)
    best = usable[int(np.argmax(weights))]
    return FaceResult(best.face, (mean / np.linalg.norm(mean)).astype(np.float32)), len(usable)
