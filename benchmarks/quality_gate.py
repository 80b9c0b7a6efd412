"""Re-fitting the door quality gate for a detector on training-side dev photos.

    .venv/bin/python -m benchmarks.quality_gate [--photos 300] [--detector blazeface]

Training-side (never validation) photos of lfw-dev and celeba-dev, letterboxed into
640x480 frames at full size and shrunk to 0.35 (distant faces). For each frame: the face
probability and size of the largest confident face, and whether another face is at least
`secondary_face_ratio` of its size. Then the same frames with their largest face painted over
(what is left: background, other people) show what the gate lets through when the person
is not there. Prints, per minimum probability, the share of frames with a usable face and
the painted-over frames that still pass.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
from PIL import Image, ImageDraw

from app.core.settings import Settings, usable_cores
from app.face.decode import decode_image
from app.face.errors import FaceRejected
from app.face.factory import build_detector
from app.face.quality import QualityPolicy, select_door_face
from app.training.data import data_root, is_validation_identity, list_photos
from benchmarks.frames import letterbox_jpeg

PROBABILITIES = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99)


def training_frames(count: int, face_scale: float) -> list[Image.Image]:
    frames = []
    for dataset in ("lfw-dev", "celeba-dev"):
        chosen = [p for p in list_photos(data_root() / dataset)
                  if not is_validation_identity(p.identity)][::17][:count]
        frames += [decode_image(letterbox_jpeg(p.path, (640, 480), face_scale), 10**8, 10**9) for p in chosen]
    return frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=300, help="per data set")
    parser.add_argument("--detector", choices=["blazeface", "mtcnn"], default="blazeface")
    args = parser.parse_args()
    settings = Settings(detector=args.detector)
    detector = build_detector(settings, usable_cores())
    for face_scale in (1.0, 0.35):
        frames = training_frames(args.photos, face_scale)
        found = [detector.detect(frame) for frame in frames]
        painted = []  # each frame with its largest face painted over, detected again
        for frame, faces in zip(frames, found):
            blank = frame.copy()
            if faces:
                box = max(faces, key=lambda d: d.size).box
                ImageDraw.Draw(blank).rectangle(tuple(np.round(box).astype(int).tolist()), fill=(128, 128, 128))
            painted.append(detector.detect(blank))
        for probability in PROBABILITIES:
            policy = QualityPolicy(probability, settings.min_face_px, settings.secondary_face_ratio)
            usable, reasons, painted_pass = 0, {}, 0
            for faces, rest in zip(found, painted):
                try:
                    select_door_face(faces, policy)
                    usable += 1
                except FaceRejected as exc:
                    reasons[exc.reason] = reasons.get(exc.reason, 0) + 1
                try:
                    select_door_face(rest, policy)
                    painted_pass += 1
                except FaceRejected:
                    pass
            print(json.dumps({"detector": args.detector, "face_scale": face_scale, "min_probability": probability,
                              "frames": len(frames), "usable": usable, "refused": reasons,
                              "face_painted_over_still_passes": painted_pass}), flush=True)


if __name__ == "__main__":
    main()
