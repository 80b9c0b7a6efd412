"""Threshold calibration from the customer's own gallery and labelled door events.

Two false-accept rates matter. At a badge door the stranger is compared with one
person: the pair rate FMR(t). At a face-only door the stranger is compared with
everyone, and the door-level rate grows with the gallery (FPIR ~ 1 - (1 - FMR)^N).
The gallery is filtered by enrolment (no two people closer than the duplicate
threshold), so leave-one-person-out search of it is reported (door_fpir_measured) but
never decides a face-only threshold: app/admin/open_set_calibration.py does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.admin.open_set_calibration import face_only_curve, face_only_estimates, rate_at, recommend
from app.face.open_set import OpenSetCard
from app.gallery.index import ip_to_l2
from app.training.metrics import Curve, error_curve, threshold_at_far

CURVE_POINTS = 200
# Bounds that keep calibration's memory and time flat as the gallery grows: every pair up
# to MAX_IMPOSTOR_PAIRS (~1,400 templates), a uniform random sample of that many beyond
# (resolution 5e-7); every template as a door probe up to MAX_DOOR_PROBES, a sample beyond.
MAX_IMPOSTOR_PAIRS = 1_000_000
MAX_DOOR_PROBES = 5_000
BLOCK_FLOATS = 2**24  # distances held at once (64 MB of float32)
SAMPLE_SEED = 0  # the same gallery always gives the same figures
BOOTSTRAP_DRAWS = 1000  # person resamples behind the FRR interval


@dataclass(frozen=True)
class CalibrationData:
    person_ids: np.ndarray
    vectors: np.ndarray
    labelled_genuine: np.ndarray
    labelled_impostor: np.ndarray


def _pair_products(vectors: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Inner product of each (first[k], second[k]) pair, a block at a time."""
    step = max(1, BLOCK_FLOATS // vectors.shape[1])
    return np.concatenate([np.einsum("ij,ij->i", vectors[first[s:s + step]], vectors[second[s:s + step]])
                           for s in range(0, len(first), step)] or [np.empty(0, np.float32)])


def _genuine_pairs(persons: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Every pair of one person's templates: neighbours at offset 1, 2, ... once sorted by person."""
    order = np.argsort(persons, kind="stable")
    sorted_persons = persons[order]
    scores = []
    for offset in range(1, len(order)):
        at = np.flatnonzero(sorted_persons[:-offset] == sorted_persons[offset:])
        if not len(at):
            break  # nobody has offset + 1 templates
        scores.append(ip_to_l2(_pair_products(vectors, order[at], order[at + offset])))
    return np.concatenate(scores) if scores else np.empty(0)


def _impostor_pairs(persons: np.ndarray, vectors: np.ndarray, max_pairs: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Pairs of different people's templates: all of them, or a random sample of max_pairs; and
    whether it was sampled."""
    n = len(persons)
    if n * (n - 1) // 2 <= max_pairs:
        first, second = np.triu_indices(n, k=1)
        sampled = False
    else:
        first, second = rng.integers(0, n, size=(2, max_pairs))
        sampled = True
    keep = persons[first] != persons[second]
    return ip_to_l2(_pair_products(vectors, first[keep], second[keep])), sampled


def _nearest_own_and_other(persons: np.ndarray, vectors: np.ndarray,
                           probes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each probe template, the nearest other template of its person and of anyone else."""
    n = len(persons)
    own, other = np.full(len(probes), np.inf), np.full(len(probes), np.inf)
    step = max(1, BLOCK_FLOATS // max(n, 1))  # an empty gallery has no probes either
    for s in range(0, len(probes), step):
        block = probes[s:s + step]
        distances = ip_to_l2(vectors[block] @ vectors.T)
        distances[np.arange(len(block)), block] = np.inf  # a template is not its own neighbour
        same = persons[block][:, None] == persons[None, :]
        own[s:s + step] = np.where(same, distances, np.inf).min(axis=1)
        other[s:s + step] = np.where(same, np.inf, distances).min(axis=1)
    return own, other


def _rate_at(scores: np.ndarray, threshold: float) -> float:
    return float(np.mean(scores <= threshold)) if len(scores) else 0.0


def _points(curve: Curve) -> list[dict[str, float]]:
    step = max(1, len(curve.thresholds) // CURVE_POINTS)
    idx = np.r_[np.arange(0, len(curve.thresholds), step), len(curve.thresholds) - 1]
    return [{"threshold": round(float(curve.thresholds[i]), 5), "far": float(curve.far[i]),
             "frr": float(curve.frr[i])} for i in np.unique(idx)]


def score_sets(data: CalibrationData, max_impostor_pairs: int = MAX_IMPOSTOR_PAIRS,
               max_door_probes: int = MAX_DOOR_PROBES) -> dict[str, np.ndarray | bool]:
    """Genuine/impostor scores at pair level and at door level (leave one person out), and
    whether either was sampled."""
    persons = np.asarray(data.person_ids)
    vectors = np.asarray(data.vectors, np.float32)
    rng = np.random.default_rng(SAMPLE_SEED)
    impostors, pairs_sampled = _impostor_pairs(persons, vectors, max_impostor_pairs, rng)
    probes = np.arange(len(persons))
    if len(probes) > max_door_probes:
        probes = np.sort(rng.choice(len(persons), max_door_probes, replace=False))
    nearest_own, nearest_other = _nearest_own_and_other(persons, vectors, probes)
    has_own = np.isfinite(nearest_own)
    return {
        "pair_genuine": np.r_[_genuine_pairs(persons, vectors), data.labelled_genuine],
        "pair_impostor": np.r_[impostors, data.labelled_impostor],
        "door_genuine": nearest_own[has_own],
        "door_genuine_person": persons[probes][has_own],
        "door_impostor": nearest_other[np.isfinite(nearest_other)],
        "pairs_sampled": pairs_sampled,
        "probes_sampled": len(probes) < len(persons),
    }


def frr_interval(genuine: np.ndarray, persons: np.ndarray, threshold: float) -> list[float]:
    """95% interval of the FRR at `threshold`, resampling people (one person's scores move together)."""
    if not len(genuine):
        return [0.0, 1.0]
    people, person = np.unique(persons, return_inverse=True)
    refused = np.bincount(person, weights=genuine > threshold, minlength=len(people))
    scored = np.bincount(person, minlength=len(people))
    draws = np.random.default_rng(SAMPLE_SEED).multinomial(len(people), np.full(len(people), 1 / len(people)),
                                                           size=BOOTSTRAP_DRAWS)
    rates = (draws @ refused) / np.maximum(draws @ scored, 1)
    low, high = np.quantile(rates, [0.025, 0.975])
    return [float(low), float(high)]


def _face_only(data: CalibrationData, scores: dict, target_far: float, card: OpenSetCard | None) -> dict:
    """Face-only door: stranger rates from estimates enrolment does not filter; the gallery's genuines."""
    templates = len(data.person_ids)
    site_pairs = scores["pair_impostor"][:len(scores["pair_impostor"]) - len(data.labelled_impostor)]
    estimates = face_only_estimates(card, templates, site_pairs, np.asarray(data.labelled_impostor), target_far)
    threshold, resolvable = recommend(estimates, target_far)
    at = {name: rate_at(e, threshold) for name, e in estimates.items()}
    applicable = [at[name] for name, e in estimates.items() if e["applicable"]] or list(at.values()) or [0.0]
    genuine = scores["door_genuine"]
    return {
        "threshold": threshold,
        "basis": "door: strictest of " + ", ".join(n for n, e in estimates.items() if e["applicable"] or not resolvable)
                 + " (FPIR bound at the gallery's size; the gallery gives genuine scores only)",
        "estimated_far": max(applicable), "estimated_frr": 1.0 - _rate_at(genuine, threshold),
        "estimated_frr_95": frr_interval(genuine, scores["door_genuine_person"], threshold),
        "estimated_far_95": None if card is None else card.search_interval(threshold, templates),
        "resolvable": resolvable,
        "estimates": {name: {"threshold": e["threshold"], "fpir_at_recommendation": at[name],
                             "applicable": e["applicable"], "count": e["count"]} for name, e in estimates.items()},
        "resolution_note": None if resolvable else (
            "the data cannot resolve the target: this is the strictest threshold of the estimates available"),
        "curve": face_only_curve(estimates, genuine),
    }


def calibrate(data: CalibrationData, target_far: float, face_only: bool, card: OpenSetCard | None = None) -> dict:
    scores = score_sets(data)
    people = len(np.unique(data.person_ids))
    if len(scores["pair_genuine"]) == 0 or len(scores["pair_impostor"]) == 0:
        raise ValueError("calibration needs at least two people and one person with two templates")
    pair_curve = error_curve(scores["pair_genuine"], scores["pair_impostor"])
    threshold, far, frr = threshold_at_far(pair_curve, target_far)
    result = {"threshold": threshold, "basis": "pair: one-to-one comparisons (FMR)", "estimated_far": far,
              "estimated_frr": frr, "resolvable": 1.0 / len(scores["pair_impostor"]) <= target_far,
              "estimates": None, "curve": _points(pair_curve)}
    result["resolution_note"] = None if result["resolvable"] else (
        "too few impostor scores to resolve the target; the threshold sits below every impostor seen")
    if face_only:
        result.update(_face_only(data, scores, target_far, card))
    threshold = result["threshold"]
    pair_far = _rate_at(scores["pair_impostor"], threshold)
    return {
        "target_far": target_far, "metric": "l2", **result,
        "pair_far": pair_far, "pair_frr": 1.0 - _rate_at(scores["pair_genuine"], threshold),
        "door_fpir_measured": _rate_at(scores["door_impostor"], threshold),
        "door_fpir_derived": 1.0 - (1.0 - pair_far) ** max(people - 1, 1),
        "door_fpir_bound": card.search_rate(threshold, len(data.person_ids)) if card else None,
        "resolution": 1.0 / len(scores["pair_impostor"]),
        "counts": {"people": people, "templates": int(len(data.person_ids)),
                   "genuine_pairs": int(len(scores["pair_genuine"])),
                   "impostor_pairs": int(len(scores["pair_impostor"])),
                   "labelled_genuine": int(len(data.labelled_genuine)),
                   "labelled_impostor": int(len(data.labelled_impostor)),
                   "door_probes": int(len(scores["door_impostor"])),
                   "impostor_pairs_sampled": bool(scores["pairs_sampled"]),
                   "door_probes_sampled": bool(scores["probes_sampled"])},
    }

