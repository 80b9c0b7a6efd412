"""Face detection and five-point landmarks with facenet-pytorch's MTCNN.

MTCNN's cost grows with the area it searches and with how small a face it looks for.
Photos are downscaled to `max_side` before detection and boxes mapped back; the smallest
face searched is `min_face_size` photo pixels, but never below MIN_DETECTION_FACE pixels
of the downscaled copy (MTCNN's own default; smaller would upsample). So a 640x480 door
frame is searched at 320x240 for faces of 20 px there (40 in the frame), while data-set
photos up to 320 px are searched as they are, for faces of 40 px.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
import facenet_pytorch.models.utils.detect_face as mtcnn_stages
from facenet_pytorch import MTCNN
from PIL import Image

from app.face.detection import Detection

MIN_DETECTION_FACE = 20.0


class FaceDetector:
    """Not thread-safe: one caller at a time (the face worker, or a data-preparation loop)."""

    def __init__(self, min_face_size: int = 40, scale_factor: float = 0.709, max_side: int = 320,
                 thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)) -> None:
        self.max_side = max_side
        self.min_face_size = min_face_size
        self._mtcnn = MTCNN(keep_all=True, min_face_size=min_face_size, factor=scale_factor,
                            thresholds=list(thresholds), post_process=False, device="cpu")

    def use_onnx(self, cache_dir: Path, threads: int) -> None:
        """Run MTCNN's networks on ONNX Runtime (checked for parity with PyTorch)."""
        from app.face.mtcnn_onnx import use_onnx_stages

        use_onnx_stages(self._mtcnn, cache_dir, threads)

    def detect(self, image: Image.Image) -> list[Detection]:
        """All faces found, most probable first."""
        return self.detect_many([image])[0]

    def detect_with_onet_inputs(self, image: Image.Image) -> list[tuple[Detection, np.ndarray]]:
        """detect(), each face with the (4,) box MTCNN's O-Net was shown for it (R-Net's squared
        box, in photo pixels). The serving detector places its O-Net box where these
        fall (tools/fit_onet_box.py)."""
        refinements, original = [], mtcnn_stages.bbreg

        def recording(boxes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
            shown = boxes[:, :4].clone()
            refined = original(boxes, offsets)  # in place
            refinements.append((shown.numpy(), refined[:, :4].numpy().copy()))
            return refined

        mtcnn_stages.bbreg = recording
        try:
            faces = self.detect(image)
        finally:
            mtcnn_stages.bbreg = original
        if not faces:
            return []
        shown, refined = refinements[-1]  # the third stage's: O-Net's refinement of R-Net's boxes
        scale = min(1.0, self.max_side / max(image.size))
        return [(face, shown[np.argmin(np.abs(refined / scale - face.box).sum(1))] / scale) for face in faces]

    def detect_many(self, images: list[Image.Image]) -> list[list[Detection]]:
        """detect() for each image; photos of one size go through MTCNN as one batch (~20% cheaper
        each: benchmarks/face_pipeline.py)."""
        scales = [min(1.0, self.max_side / max(image.size)) for image in images]
        # reducing_gap=1: box-filter by the whole factor first (what MTCNN's own pyramid does),
        # then a short bilinear step; 0.3 ms instead of 2.3 ms for 640x480 -> 320x240.
        small = [image if scale == 1.0 else image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.BILINEAR, reducing_gap=1.0)
            for image, scale in zip(images, scales)]
        groups: dict[tuple[tuple[int, int], float], list[int]] = defaultdict(list)
        for i, (image, scale) in enumerate(zip(small, scales)):
            groups[image.size, max(MIN_DETECTION_FACE, self.min_face_size * scale)].append(i)
        found: list[list[Detection]] = [[] for _ in images]
        for (_, min_face), indices in groups.items():
            self._mtcnn.min_face_size = min_face  # read by MTCNN.detect for this call
            with torch.inference_mode():
                boxes, probs, points = self._mtcnn.detect([small[i] for i in indices], landmarks=True)
            for i, image_boxes, image_probs, image_points in zip(indices, boxes, probs, points):
                if image_boxes is None:
                    continue
                scale = scales[i]
                faces = [Detection(np.asarray(b, np.float64) / scale, float(p), np.asarray(l, np.float64) / scale)
                         for b, p, l in zip(image_boxes, image_probs, image_points)]
                found[i] = sorted(faces, key=lambda d: -d.probability)
        return found
