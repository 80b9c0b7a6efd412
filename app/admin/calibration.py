"""Threshold calibration from the customer's own gallery and labelled door events.

Two false-accept rates matter. At a badge door the stranger is compared with one
person: the pair rate FMR(t). At a face-only door the stranger is compared with
everyone, and the door-level rate grows with the gallery (FPIR ~ 1 - (1 - FMR)^N).
It is measured here by leave-one-person-out search: each enrolled template plays a
stranger searched against everyone else, and its nearest other-person distance is
the impostor score. The derived rate 1 - (1 - FMR)^N is reported beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.training.metrics import Curve, error_curve, threshold_at_far

CURVE_POINTS = 200


@dataclass(frozen=True)
class CalibrationData:
    person_ids: np.ndarray
    vectors: np.ndarray
    labelled_genuine: np.ndarray
    labelled_impostor: np.ndarray


def _pairwise(vectors: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(2.0 - 2.0 * (vectors @ vectors.T), 0.0, None))


def _rate_at(scores: np.ndarray, threshold: float) -> float:
    return float(np.mean(scores <= threshold)) if len(scores) else 0.0


def _points(curve: Curve) -> list[dict[str, float]]:
    step = max(1, len(curve.thresholds) // CURVE_POINTS)
    idx = np.r_[np.arange(0, len(curve.thresholds), step), len(curve.thresholds) - 1]
    return [{"threshold": round(float(curve.thresholds[i]), 5), "far": float(curve.far[i]),
             "frr": float(curve.frr[i])} for i in np.unique(idx)]


def score_sets(data: CalibrationData) -> dict[str, np.ndarray]:
    """Genuine/impostor scores at pair level and at door level (leave one person out)."""
    persons = data.person_ids
    dist = _pairwise(data.vectors) if len(persons) else np.empty((0, 0))
    same = persons[:, None] == persons[None, :]
    upper = np.triu(np.ones_like(same, dtype=bool), k=1)
    other = np.where(same, np.inf, dist)
    own = np.where(same & ~np.eye(len(persons), dtype=bool), dist, np.inf)
    nearest_other = other.min(axis=1) if len(persons) else np.empty(0)
    nearest_own = own.min(axis=1) if len(persons) else np.empty(0)
    return {
        "pair_genuine": np.r_[dist[same & upper], data.labelled_genuine],
        "pair_impostor": np.r_[dist[~same & upper], data.labelled_impostor],
        "door_genuine": nearest_own[np.isfinite(nearest_own)],
        "door_impostor": nearest_other[np.isfinite(nearest_other)],
    }


def calibrate(data: CalibrationData, target_far: float, face_only: bool) -> dict:
    scores = score_sets(data)
    people = len(np.unique(data.person_ids))
    if len(scores["pair_genuine"]) == 0 or len(scores["pair_impostor"]) == 0:
        raise ValueError("calibration needs at least two people and one person with two templates")
    pair_curve = error_curve(scores["pair_genuine"], scores["pair_impostor"])
    if face_only and len(scores["door_impostor"]) and len(scores["door_genuine"]):
        curve = error_curve(scores["door_genuine"], scores["door_impostor"])
        basis = "door: leave-one-person-out search of the gallery (FPIR)"
        impostors = scores["door_impostor"]
    else:
        curve, basis, impostors = pair_curve, "pair: one-to-one comparisons (FMR)", scores["pair_impostor"]
    threshold, far, frr = threshold_at_far(curve, target_far)
    pair_far = _rate_at(scores["pair_impostor"], threshold)
    return {
        "target_far": target_far, "threshold": threshold, "metric": "l2", "basis": basis,
        "estimated_far": far, "estimated_frr": frr,
        "pair_far": pair_far, "pair_frr": 1.0 - _rate_at(scores["pair_genuine"], threshold),
        "door_fpir_measured": _rate_at(scores["door_impostor"], threshold),
        "door_fpir_derived": 1.0 - (1.0 - pair_far) ** max(people - 1, 1),
        "resolution": 1.0 / len(impostors),
        "resolution_note": ("too few impostor scores to resolve the target; the threshold sits "
                            "below every impostor seen") if 1.0 / len(impostors) > target_far else None,
        "counts": {"people": people, "templates": int(len(data.person_ids)),
                   "genuine_pairs": int(len(scores["pair_genuine"])),
                   "impostor_pairs": int(len(scores["pair_impostor"])),
                   "labelled_genuine": int(len(data.labelled_genuine)),
                   "labelled_impostor": int(len(data.labelled_impostor)),
                   "door_probes": int(len(scores["door_impostor"]))},
        "curve": _points(curve),
    }
