"""What each detector setting costs in time and gives in accuracy on door frames.

    .venv/bin/python -m benchmarks.detect_scale [--people 250] [--face-scale 0.35] [--all-mtcnn]

Held-out (validation-split) people of lfw-dev and celeba-dev, up to 4 photos each,
fitted into 640x480 door frames. For each MTCNN setting (the longest side detection runs
at, the smallest face searched in photo pixels) the frames are detected in batches of 4 (MTCNN on ONNX Runtime), aligned on the full frame
and encoded. The figures are computed over all pairs of the photos every setting
accepted, so each setting is judged on the same photos. Rows: the shipped BlazeFace + O-Net
detector and MTCNN as configured (--all-mtcnn: also MTCNN's other search sizes).
--face-scale shrinks each photo inside its frame (0.35: LFW faces of ~40-60 px) to cover
small, distant faces; 1.0 gives the large, close faces a door camera mostly sees.
--native takes the data-set photos as they are and their labelled face, as `facegate evaluate`
does, so both detectors are compared on the same photos under the model card's protocol.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from app.core.settings import Settings, usable_cores
from app.face.align import align_face
from app.face.decode import decode_image
from app.face.encoder import Encoder
from app.face.errors import FaceRejected
from app.face.factory import build_detector
from app.face.quality import QualityPolicy, select_door_face, select_training_face
from app.training.data import data_root, is_validation_identity, list_photos
from app.training.metrics import all_pair_distances, summarize
from benchmarks.frames import letterbox_jpeg

SETTINGS = ((640, 40), (480, 40), (480, 53), (320, 40))  # (detect max side, smallest face in photo pixels)


def door_frames(people: int, face_scale: float = 1.0, per_person: int = 4, native: bool = False,
                data_sets: tuple[str, ...] = ("lfw-dev", "celeba-dev")) -> tuple[list[bytes], list[str]]:
    """Held-out photos fitted into 640x480 frames (native: the data set's files as they are)."""
    frames, identities = [], []
    for dataset in data_sets:
        by_person: dict[str, list[Path]] = {}
        for photo in list_photos(data_root() / dataset):
            if is_validation_identity(photo.identity):
                by_person.setdefault(photo.identity, []).append(photo.path)
        chosen = [k for k in sorted(by_person) if len(by_person[k]) >= 2][:people]
        for identity in chosen:
            for path in by_person[identity][:per_person]:
                frames.append(path.read_bytes() if native else letterbox_jpeg(path, (640, 480), face_scale))
                identities.append(identity)
    return frames, identities


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=250, help="per data set")
    parser.add_argument("--face-scale", type=float, default=1.0, help="photo size inside the frame")
    parser.add_argument("--all-mtcnn", action="store_true", help="every MTCNN search setting, not just the shipped")
    parser.add_argument("--photos-per-person", type=int, default=4)
    parser.add_argument("--native", action="store_true",
                        help="the data-set photos as they are (the model card's protocol), not door frames")
    parser.add_argument("--data-set", nargs="+", default=["lfw-dev", "celeba-dev"])
    args = parser.parse_args()
    settings = Settings()
    frames, identities = door_frames(args.people, args.face_scale, args.photos_per_person, args.native,
                                     tuple(args.data_set))
    images = [decode_image(f, settings.max_upload_bytes, settings.max_image_pixels) for f in frames]
    policy = QualityPolicy(settings.min_face_probability, settings.min_face_px, settings.secondary_face_ratio)
    threads = usable_cores()
    encoder = Encoder.load_onnx(settings.model_card, threads)
    template, size = encoder.alignment.template, encoder.alignment.size
    mtcnn = SETTINGS if args.all_mtcnn else ((settings.detect_max_side, settings.min_face_size),)
    results = {}
    with tempfile.TemporaryDirectory() as graphs:
        detectors = {"blazeface+onet": build_detector(settings.model_copy(update={"detector": "blazeface"}), threads)}
        for max_side, min_face in mtcnn:
            detectors[f"mtcnn max side {max_side}, min face {min_face}"] = build_detector(settings.model_copy(
                update={"detector": "mtcnn", "detect_max_side": max_side, "min_face_size": min_face,
                        "onnx_cache_dir": Path(graphs)}), threads)
        for label, detector in detectors.items():
            per_photo, found = [], []
            for start in range(0, len(images), 4):
                t = time.perf_counter()
                found += detector.detect_many(images[start:start + 4])
                per_photo.append((time.perf_counter() - t) * 1000 / len(images[start:start + 4]))
            vectors: dict[int, np.ndarray] = {}
            for i, faces in enumerate(found):
                if args.native:  # the labelled face, as `facegate evaluate` takes it
                    if (face := select_training_face(faces, images[i].size)) is None:
                        continue
                else:
                    try:
                        face = select_door_face(faces, policy)
                    except FaceRejected:
                        continue
                vectors[i] = encoder.embed(align_face(images[i], face.landmarks, template, size)[None])[0]
            results[label] = (statistics.median(per_photo), float(np.percentile(per_photo, 95)), vectors)
    common = sorted(set.intersection(*(set(v) for _, _, v in results.values())))
    for label, (ms, p95, vectors) in results.items():
        genuine, impostor = all_pair_distances(np.stack([vectors[i] for i in common]), [identities[i] for i in common])
        figures = summarize(genuine, impostor)
        print(json.dumps({"detector": label, "data_sets": args.data_set,
                          "face_scale": "native" if args.native else args.face_scale, "frames": len(frames),
                          "without_usable_face": len(frames) - len(vectors), "compared": len(common),
                          "ms_per_photo_batch_4": round(ms, 1), "ms_p95": round(p95, 1),
                          "auc": round(figures["auc"], 5), "eer": round(figures["eer"], 4),
                          "tar_at_far_1e-3": round(figures["tar_at_far_1e-3"], 4),
                          "genuine_pairs": figures["genuine"]}), flush=True)

if __name__ == "__main__":
    main()
