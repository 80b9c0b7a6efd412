"""Fitting the alignment template against the chips dlib's network was trained on.

dlib's encoder learned on chips cut by dlib's own pipeline (HOG detector, 5-point shape
predictor, get_face_chip). Serving cuts chips from our detector's five landmarks instead,
so the template must say where *our* detector's points fall inside dlib's chip of the
same photo, found on the full photo (not on the chip: a detector finds other points on
a tight crop). This module is the numpy half of that fit: dlib's photo->chip mapping,
mapping points into a chip, the robust centre, and the offset between two chips' geometry.
The dlib-driving half is tools/fit_mtcnn_template.py.

Pixel conventions: dlib puts pixel centres at integer coordinates; PIL (and so
app.face.align, which serving uses) at integer + 0.5. Detector landmarks are handed to
align_face as PIL coordinates, so they are shifted by half a pixel on the way into dlib's
frame and back, and the template comes out in align_face's units.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from app.face.align import similarity_transform

# dlib's get_face_chip_details: where its 5-point predictor's parts go in an unpadded chip,
# as fractions of the side (dlib/image_transforms/interpolation.h).
DLIB_FIVE_POINT_CHIP = np.array([
    [0.8595674595992, 0.2134981538014], [0.6460604764104, 0.2289674387677],
    [0.1205750620789, 0.2137274526848], [0.3340850613712, 0.2290642403242],
    [0.4901123135679, 0.6277975316475],
])
DLIB_CHIP_PADDING = 0.25  # what dlib's face recognition example (and the training chips) use
HALF_PIXEL = 0.5  # PIL coordinate = dlib coordinate + 0.5


def dlib_chip_mapping(dlib_points: np.ndarray, size: int = 150, padding: float = DLIB_CHIP_PADDING) -> np.ndarray:
    """The 2x3 photo->chip matrix of dlib's get_face_chip for a 5-point shape (dlib pixel convention).

    Like dlib: a similarity fit of the padded template onto the parts gives a rectangle
    (centre, side, angle); the rectangle's corners go to chip pixels 0 and size-1.
    """
    chip_points = (padding + DLIB_FIVE_POINT_CHIP) / (2 * padding + 1) * size
    chip_to_photo = similarity_transform(chip_points, np.asarray(dlib_points, np.float64))
    axis = chip_to_photo[:, 0]
    angle, scale = np.arctan2(axis[1], axis[0]), float(np.hypot(*axis))
    centre = chip_to_photo @ np.array([size / 2, size / 2, 1.0])
    cos, sin = np.cos(angle), np.sin(angle)
    unrotate = np.array([[cos, sin], [-sin, cos]])
    linear = unrotate * (size - 1) / (size * scale)
    return np.hstack([linear, ((size - 1) / 2 - linear @ centre)[:, None]])


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (N, 2) through a 2x3 affine matrix."""
    points = np.asarray(points, np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def detector_points_in_dlib_chip(dlib_points: np.ndarray, detector_points: np.ndarray, size: int = 150) -> np.ndarray:
    """Where the detector's landmarks (PIL coordinates of the photo) land in dlib's chip of
    that photo, as fractions of the side in align_face's units (a template candidate)."""
    mapping = dlib_chip_mapping(dlib_points, size)
    return (apply(mapping, np.asarray(detector_points) - HALF_PIXEL) + HALF_PIXEL) / size


def same_face(dlib_points: np.ndarray, detector_points: np.ndarray, size: int = 150) -> bool:
    """Whether both pipelines found the same face: the detector's points inside dlib's chip."""
    inside = detector_points_in_dlib_chip(dlib_points, detector_points, size)
    return bool(((inside > 0) & (inside < 1)).all())


def robust_centre(samples: np.ndarray) -> np.ndarray:
    """Coordinate-wise median over photos (N, 5, 2) -> (5, 2): a few bad detections do not pull it."""
    return np.median(np.asarray(samples, np.float64), axis=0)


def chip_offset(dlib_points: np.ndarray, detector_points: np.ndarray, template: np.ndarray,
                size: int = 150) -> float:
    """Mean distance in chip pixels between where dlib's five parts fall in the chip serving
    cuts (detector landmarks aligned onto template) and in dlib's own chip of the photo."""
    dlib_points = np.asarray(dlib_points, np.float64)
    in_dlib_chip = apply(dlib_chip_mapping(dlib_points, size), dlib_points)
    photo_to_serving = similarity_transform(np.asarray(detector_points, np.float64),
                                            np.asarray(template, np.float64) * size)
    in_serving_chip = apply(photo_to_serving, dlib_points + HALF_PIXEL) - HALF_PIXEL
    return float(np.linalg.norm(in_serving_chip - in_dlib_chip, axis=1).mean())


Landmarks = Callable[[np.ndarray], "np.ndarray | None"]


@dataclass(frozen=True)
class TemplateFit:
    template: np.ndarray  # (5, 2) fractions of the chip side
    spread: np.ndarray  # (5, 2) median absolute deviation of the samples, same units
    photos_used: int
    photos_skipped: int


def fit_template(photos: Iterable[np.ndarray], reference: Landmarks, detector: Landmarks,
                 size: int = 150) -> TemplateFit:
    """The template that puts `detector`'s five points where they fall, at the median, in the
    chips cut from `reference`'s five dlib parts (both functions: photo -> (5, 2) or None)."""
    samples, skipped = [], 0
    for photo in photos:
        parts = reference(photo)
        points = detector(photo) if parts is not None else None
        if points is None or not same_face(parts, points, size):
            skipped += 1
            continue
        samples.append(detector_points_in_dlib_chip(parts, points, size))
    if not samples:
        raise ValueError("no photo had both reference parts and detector landmarks")
    stacked = np.stack(samples)
    centre = robust_centre(stacked)
    return TemplateFit(centre, np.median(np.abs(stacked - centre), axis=0), len(samples), skipped)
