"""Similarity-transform alignment of five landmarks onto the encoder's chip template."""
from __future__ import annotations

import numpy as np
from PIL import Image


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares rotation+scale+translation mapping source points onto target (Umeyama).

    Returns a 2x3 matrix A with target ~= A @ [x, y, 1].
    """
    src_mean, dst_mean = source.mean(0), target.mean(0)
    src, dst = source - src_mean, target - dst_mean
    cov = dst.T @ src / len(source)
    u, singular, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1
    rotation = u @ np.diag(sign) @ vt
    scale = (singular * sign).sum() / src.var(0).sum()
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def align_face(image: Image.Image, landmarks: np.ndarray, template: np.ndarray, size: int) -> np.ndarray:
    """Warp the face so its landmarks land on `template` (fractions of the chip side).

    Returns an (size, size, 3) uint8 chip.
    """
    # PIL wants the chip->image mapping, so fit that direction directly.
    matrix = similarity_transform(np.asarray(template, np.float64) * size, np.asarray(landmarks, np.float64))
    chip = image.transform((size, size), Image.AFFINE, data=tuple(matrix.reshape(-1)), resample=Image.BILINEAR)
    return np.asarray(chip, dtype=np.uint8)
