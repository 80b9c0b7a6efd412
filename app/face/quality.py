"""Quality figures of a detected face, and the gate that decides whether it is usable."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.face.detection import Detection
from app.face.errors import FACE_TOO_SMALL, MULTIPLE_FACES, NO_FACE, FaceRejected


@dataclass(frozen=True)
class QualityPolicy:
    min_probability: float = 0.9  # the setting min_face_probability
    min_face_px: int = 40
    # Another confident face at least this fraction of the main face's size makes the
    # photo ambiguous; smaller ones are people in the background.
    secondary_face_ratio: float = 0.6


def sharpness(chip: np.ndarray) -> float:
    """Variance of a 4-neighbour Laplacian on the grey chip: low means blurred."""
    grey = chip.sum(axis=2, dtype=np.int32)  # 3x the mean: integers, exact and cheap
    lap = (grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1])
    return float(lap.var()) / 9


def select_door_face(detections: list[Detection], policy: QualityPolicy) -> Detection:
    """Exactly one usable face, or a reason why not."""
    confident = [d for d in detections if d.probability >= policy.min_probability]
    if not confident:
        raise FaceRejected(NO_FACE, "no face was found in the photo")
    main = max(confident, key=lambda d: d.size)
    if main.size < policy.min_face_px:
        raise FaceRejected(FACE_TOO_SMALL,
                           f"the face is {main.size:.0f} px; at least {policy.min_face_px} px is needed")
    rivals = [d for d in confident if d is not main and d.size >= policy.secondary_face_ratio * main.size]
    if rivals:
        raise FaceRejected(MULTIPLE_FACES, f"{len(rivals) + 1} faces were found; exactly one is needed")
    return main


def select_training_face(detections: list[Detection], image_size: tuple[int, int]) -> Detection | None:
    """The labelled person in a data-set photo: the largest face, ties broken by centrality."""
    if not detections:
        return None
    centre = np.array(image_size, np.float64) / 2

    def score(d: Detection) -> float:
        box_centre = (d.box[:2] + d.box[2:]) / 2
        offset = np.linalg.norm(box_centre - centre) / max(image_size)
        return d.size * (1.0 - 0.5 * offset)

    return max(detections, key=score)
