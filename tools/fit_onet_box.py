"""Measure where O-Net's input box should sit relative to BlazeFace's (development tool).

O-Net was trained on R-Net's boxes; the serving detector shows it BlazeFace's instead, moved
by a fixed centre shift and side ratio (app/face/lean_detector.py: ONET_BOX_SHIFT,
ONET_BOX_SCALE). This prints the median of that shift and ratio between BlazeFace's squared
box and the box MTCNN showed O-Net for the same face (R-Net's refined, squared box whose O-Net
refinement became MTCNN's face) on training-side photos of both dev sets,
the BlazeFace box matched by nearest centre. Needs facegate[train] (MTCNN on PyTorch) and dlib-bin (the photo
sampling of tools/fit_mtcnn_template.py). Usage:
    python tools/fit_onet_box.py ../shared/data --photos 300
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.core.settings import Settings
from app.face.blazeface import BlazeFace
from app.face.detect import FaceDetector
from app.face.onet import square
from app.face.quality import select_training_face
from tools.fit_mtcnn_template import read, sample


def box_offset(blazeface: np.ndarray, onet_box: np.ndarray) -> np.ndarray | None:
    """(dx, dy, ratio) of the box O-Net was shown against the nearest squared BlazeFace box, or None."""
    boxes = square(blazeface)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    target = square(onet_box[None])[0]
    centre = (target[:2] + target[2:]) / 2
    k = int(np.argmin(np.linalg.norm(centres - centre, axis=1)))
    side = boxes[k, 2] - boxes[k, 0]
    if np.linalg.norm(centres[k] - centre) > 0.3 * side:  # not the same face
        return None
    return np.array([*((centre - centres[k]) / side), (target[2] - target[0]) / side])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_root", type=Path, help="folder holding lfw-dev/ and celeba-dev/")
    parser.add_argument("--photos", type=int, default=300, help="training-side photos, half from each set")
    args = parser.parse_args()

    settings = Settings()
    graphs = settings.detectors_path
    manifest = json.loads((graphs / "manifest.json").read_text())
    blazeface = BlazeFace(graphs / manifest["blazeface"]["file"], 1, settings.min_proposal_score)
    mtcnn = FaceDetector(min_face_size=settings.min_face_size, scale_factor=settings.mtcnn_scale_factor,
                         max_side=settings.detect_max_side)
    rows = []
    for photo in sample(args.data_root, 0, args.photos, seed=5):
        image = Image.fromarray(read(photo))
        found = mtcnn.detect_with_onet_inputs(image)
        face, proposals = select_training_face([f for f, _ in found], image.size), blazeface.propose(image)
        if face is not None and proposals:
            shown = next(box for f, box in found if f is face)
            row = box_offset(np.stack([p.box for p in proposals]), shown)
            if row is not None:
                rows.append(row)
    rows = np.asarray(rows)
    median = np.median(rows, 0)
    print(json.dumps({"photos": len(rows), "shift": np.round(median[:2], 4).tolist(), "scale": round(float(median[2]), 4),
                      "spread_mad": np.round(np.median(np.abs(rows - median), 0), 4).tolist()}))


if __name__ == "__main__":
    main()
