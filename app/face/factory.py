"""Build the face pipeline from settings, so every entry point configures it the same way.

The default (BlazeFace + O-Net, encoder on its committed ONNX graph) imports no PyTorch;
MTCNN and the torch encoder are imported only when configured (they need facegate[train]).
"""
from __future__ import annotations

import json
from pathlib import Path

from app.core.settings import Settings, usable_cores
from app.face.encoder import Encoder
from app.face.onnx_backend import verified
from app.face.pipeline import Detector, FacePipeline
from app.face.quality import QualityPolicy


def build_detector(settings: Settings, threads: int) -> Detector:
    if settings.detector == "blazeface":
        from app.face.lean_detector import LeanDetector

        manifest = json.loads((settings.detectors_path / "manifest.json").read_text())
        graph = {name: verified(settings.detectors_path / spec["file"], spec["sha256"]) for name, spec in manifest.items()}
        return LeanDetector(graph["blazeface"], graph["onet"], threads, settings.min_proposal_score)
    from app.face.detect import FaceDetector

    detector = FaceDetector(min_face_size=settings.min_face_size, scale_factor=settings.mtcnn_scale_factor,
                            max_side=settings.detect_max_side)
    if settings.inference_backend == "onnx":
        detector.use_onnx(settings.onnx_cache_dir or settings.data_dir / "onnx", threads)
    return detector


def _pipeline(settings: Settings, detector: Detector, encoder: Encoder) -> FacePipeline:
    policy = QualityPolicy(settings.min_face_probability, settings.min_face_px, settings.secondary_face_ratio)
    return FacePipeline(detector, encoder, policy, settings.max_upload_bytes, settings.max_image_pixels)


def build_pipeline(settings: Settings, model_card: Path | None = None, encoder: Encoder | None = None) -> FacePipeline:
    """For offline work (data preparation, training, evaluation): the configured detector with all
    cores, around `encoder` or the torch network of `model_card` / the configured card."""
    return _pipeline(settings, build_detector(settings, usable_cores()),
                     encoder or Encoder.load(model_card or settings.model_card))


def serving_pipelines(settings: Settings) -> list[FacePipeline]:
    """One pipeline per face worker on the configured backend: own detectors, one shared encoder."""
    threads = settings.inference_threads
    if settings.inference_backend == "onnx":
        encoder = Encoder.load_onnx(settings.model_card, threads)
    else:
        import torch

        torch.set_num_threads(threads)  # process-wide, so set here for every worker
        encoder = Encoder.load(settings.model_card)
    return [_pipeline(settings, build_detector(settings, threads), encoder) for _ in range(settings.face_workers)]


def quiet_pipeline(settings: Settings) -> FacePipeline | None:
    """The pipeline a photo gets when it is the only work (app/face/worker.py): its own ONNX
    sessions with `quiet_threads` threads each; None when that is no more than the workers'."""
    if settings.inference_backend != "onnx" or settings.quiet_threads <= settings.inference_threads:
        return None
    threads = settings.quiet_threads
    return _pipeline(settings, build_detector(settings, threads), Encoder.load_onnx(settings.model_card, threads))
