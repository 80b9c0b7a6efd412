"""Verification metrics from genuine and impostor distances (admit iff d <= threshold)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Curve:
    thresholds: np.ndarray  # ascending distances
    far: np.ndarray  # impostors admitted at each threshold
    frr: np.ndarray  # genuines rejected at each threshold


def error_curve(genuine: np.ndarray, impostor: np.ndarray) -> Curve:
    """FAR and FRR at every distinct distance (numpy only: the admin routes use it while serving)."""
    distances = np.r_[genuine, impostor]
    is_genuine = np.r_[np.ones(len(genuine), bool), np.zeros(len(impostor), bool)]
    order = np.argsort(distances, kind="stable")
    distances, is_genuine = distances[order], is_genuine[order]
    last = np.r_[np.flatnonzero(np.diff(distances)), len(distances) - 1]  # last pair at each distance
    admitted_genuine = np.cumsum(is_genuine)[last]
    admitted_impostor = np.cumsum(~is_genuine)[last]
    return Curve(np.clip(distances[last], 0.0, None), admitted_impostor / max(len(impostor), 1),
                 1.0 - admitted_genuine / max(len(genuine), 1))


def threshold_at_far(curve: Curve, target: float) -> tuple[float, float, float]:
    """The largest threshold whose FAR is <= target: (threshold, far, frr)."""
    ok = np.flatnonzero(curve.far <= target)
    if len(ok) == 0:
        return 0.0, 0.0, 1.0
    i = ok[-1]
    return float(curve.thresholds[i]), float(curve.far[i]), float(curve.frr[i])


def equal_error(curve: Curve) -> tuple[float, float]:
    """(EER, threshold) at the point where FAR and FRR cross."""
    i = int(np.argmin(np.abs(curve.far - curve.frr)))
    return float((curve.far[i] + curve.frr[i]) / 2), float(curve.thresholds[i])


def summarize(genuine: np.ndarray, impostor: np.ndarray) -> dict[str, float | int]:
    """The figures a buyer of an access-control system asks for."""
    curve = error_curve(genuine, impostor)
    eer, eer_threshold = equal_error(curve)
    t2, _, frr2 = threshold_at_far(curve, 1e-2)
    t3, far3, frr3 = threshold_at_far(curve, 1e-3)
    t4, _, frr4 = threshold_at_far(curve, 1e-4)
    balanced = 1.0 - (curve.far + curve.frr) / 2
    best = int(np.argmax(balanced))
    tar = np.r_[0.0, 1.0 - curve.frr]
    return {
        "genuine": int(len(genuine)), "impostor": int(len(impostor)),
        "pairs": int(len(genuine) + len(impostor)),
        "genuine_mean": float(np.mean(genuine)), "impostor_mean": float(np.mean(impostor)),
        "auc": float(np.trapezoid(tar, np.r_[0.0, curve.far])),
        "eer": eer, "threshold_at_eer": eer_threshold,
        "tar_at_far_1e-2": 1.0 - frr2, "threshold_at_far_1e-2": t2,
        "tar_at_far_1e-3": 1.0 - frr3, "threshold_at_far_1e-3": t3, "far_at_threshold_1e-3": far3,
        "tar_at_far_1e-4": 1.0 - frr4, "threshold_at_far_1e-4": t4,
        "accuracy_best": float(balanced[best]), "threshold_best": float(curve.thresholds[best]),
    }


def all_pair_distances(embeddings: np.ndarray, identities: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor L2 distances over every unordered pair of unit embeddings."""
    labels = np.unique(np.asarray(identities), return_inverse=True)[1]
    gram = embeddings @ embeddings.T
    dist = np.sqrt(np.clip(2.0 - 2.0 * gram, 0.0, None))
    upper = np.triu_indices(len(embeddings), k=1)
    same = labels[upper[0]] == labels[upper[1]]
    d = dist[upper]
    return d[same].astype(np.float64), d[~same].astype(np.float64)
