"""Build the face pipeline from settings, so every entry point configures it the same way."""
from __future__ import annotations

from pathlib import Path

import torch

from app.core.settings import Settings
from app.face.detect import FaceDetector
from app.face.encoder import Encoder
from app.face.pipeline import FacePipeline
from app.face.quality import QualityPolicy


def build_pipeline(settings: Settings, model_card: Path | None = None, encoder: Encoder | None = None) -> FacePipeline:
    """The pipeline around `encoder`, or around the model of `model_card` / the configured one
    (PyTorch keeps all cores: offline work such as evaluation has them to itself)."""
    detector = FaceDetector(min_face_size=settings.min_face_size, scale_factor=settings.mtcnn_scale_factor,
                            max_side=settings.detect_max_side)
    policy = QualityPolicy(settings.min_face_probability, settings.min_face_px, settings.secondary_face_ratio)
    return FacePipeline(detector, encoder or Encoder.load(model_card or settings.model_card), policy,
                        settings.max_upload_bytes, settings.max_image_pixels)


def serving_pipelines(settings: Settings) -> list[FacePipeline]:
    """One pipeline per face worker on the configured backend: own detectors, one shared encoder.
    PyTorch's thread count is process-wide, so the service sets it here, for every worker."""
    torch.set_num_threads(settings.inference_threads)
    first = build_pipeline(settings)
    pipelines = [first] + [build_pipeline(settings, encoder=first.encoder) for _ in range(settings.face_workers - 1)]
    if settings.inference_backend == "onnx":
        graphs = settings.onnx_cache_dir or settings.data_dir / "onnx"
        first.encoder.use_onnx(graphs, settings.inference_threads)
        for pipeline in pipelines:
            pipeline.detector.use_onnx(graphs, settings.inference_threads)
    return pipelines
