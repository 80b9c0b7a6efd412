"""Face proposals from MediaPipe's BlazeFace (back-camera model) on ONNX Runtime.

BlazeFace is a single-shot detector trained on 256x256 inputs: one pass scores fixed anchors
(2 per cell of a stride-16 grid, 6 per cell of a stride-32 grid), each with a box and six
key points. The photo is scaled so its longer side is 256, as the model was trained, and
only rounded up to a multiple of 32 (padding bottom/right): the committed graph takes any
such size (tools/blazeface_any_size.py), so a 640x480 frame costs a 256x192 pass, not a
256x256 one whose last quarter is padding. Decoding and the blending non-maximum
suppression MediaPipe uses are plain numpy. On a 640x480 frame a 40 px face is ~16 px of the
input, the smallest the model finds reliably, and a face filling the frame is still inside
its range (the full-range and front models are not: benchmarks/detect_scale.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from app.face.onnx_backend import session

INPUT = 256  # the longer side of the input, as trained
# (stride in input pixels, anchors per cell) of the two output layers, in the model's output order.
LAYERS = ((16, 2), (32, 6))
BLEND_IOU = 0.3  # MediaPipe's setting for this model


@lru_cache(maxsize=8)
def anchors(height: int, width: int) -> np.ndarray:
    """(A, 2) anchor centres in input pixels for an input of this size, in the model's output order
    (cells row by row, each cell's anchors together)."""
    centres = []
    for stride, per_cell in LAYERS:
        x, y = np.meshgrid((np.arange(width // stride) + 0.5) * stride, (np.arange(height // stride) + 0.5) * stride)
        centres.append(np.repeat(np.stack([x.ravel(), y.ravel()], 1), per_cell, axis=0))
    return np.concatenate(centres)


@dataclass(frozen=True)
class Proposal:
    box: np.ndarray  # x1, y1, x2, y2 in photo pixels
    score: float


def overlap(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (4,) box with each of (N, 4) boxes."""
    lo = np.maximum(box[:2], boxes[:, :2])
    hi = np.minimum(box[2:], boxes[:, 2:])
    inner = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = lambda b: np.prod(b[..., 2:] - b[..., :2], axis=-1)  # noqa: E731
    return inner / (area(box) + area(boxes) - inner + 1e-12)


def blend_overlaps(boxes: np.ndarray, scores: np.ndarray, iou: float = BLEND_IOU) -> list[Proposal]:
    """MediaPipe's weighted NMS: each cluster of overlapping boxes becomes their score-weighted
    mean, with the cluster's best score (steadier boxes than keeping the single best)."""
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    left = np.ones(len(boxes), bool)
    found = []
    for i in range(len(boxes)):
        if not left[i]:
            continue
        members = left & (overlap(boxes[i], boxes) >= iou)
        members[i] = True
        left &= ~members
        weights = scores[members]
        found.append(Proposal((boxes[members] * weights[:, None]).sum(0) / weights.sum(), float(scores[i])))
    return found


class BlazeFace:
    """Not thread-safe in the sense of sharing buffers: one caller at a time per instance."""

    def __init__(self, graph: Path, threads: int = 1, min_score: float = 0.5) -> None:
        self._session = session(graph, threads)
        self._input = self._session.get_inputs()[0].name
        self.min_score = min_score

    def _tensor(self, image: Image.Image) -> tuple[np.ndarray, float]:
        """The photo scaled to a longer side of 256, padded bottom/right to multiples of 32, in
        [-1, 1]; and photo px per input px."""
        scale = max(image.size) / INPUT
        small = image.resize((round(image.width / scale), round(image.height / scale)), Image.BILINEAR,
                             reducing_gap=2.0)
        height, width = (-(-side // 32) * 32 for side in (small.height, small.width))
        canvas = np.full((height, width, 3), -1.0, np.float32)
        canvas[:small.height, :small.width] = np.asarray(small, np.float32) / 127.5 - 1.0
        return canvas, scale

    def propose(self, image: Image.Image) -> list[Proposal]:
        tensor, scale = self._tensor(image)
        scores_a, scores_b, raw_a, raw_b = self._session.run(None, {self._input: tensor[None]})
        logits = np.concatenate([scores_a[0, :, 0], scores_b[0, :, 0]])
        raw = np.concatenate([raw_a[0], raw_b[0]])
        keep = logits > np.log(self.min_score / (1 - self.min_score))  # sigmoid(logit) > min_score
        if not keep.any():
            return []
        centre = anchors(*tensor.shape[:2])[keep] + raw[keep, :2]
        half = raw[keep, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], 1) * scale
        scores = 1 / (1 + np.exp(-logits[keep]))
        return blend_overlaps(boxes.astype(np.float64), scores.astype(np.float64))
