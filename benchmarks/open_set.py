"""Face-only decision rules at real gallery sizes: FRR at FPIR 1% and 0.1%, on people never used to choose.

    .venv/bin/python -m benchmarks.dev_embeddings   # once: the cache under var/
    .venv/bin/python -m benchmarks.open_set [--sizes 100 700 0]

People with >= 4 cached photos are split by benchmarks/dev_embeddings.fitting_half.
In each half a gallery of G people is enrolled with 3 photos and probed with their
4th (genuine), and one photo of each person left out of the gallery plays a stranger
(never enrolled, so never filtered by a duplicate check). Each rule's threshold for a
target FPIR is chosen on the fitting half at the same gallery size and then measured
on the report half, so the figures are of people no choice was made on. G = 0 means
the largest gallery the report half allows while keeping STRANGER_SHARE of it out.

Rules (a score per probe; admit iff score <= threshold, to the nearest person):
- min: the nearest template of the nearest person (what the service does);
- mean2: the mean of a person's 2 nearest templates;
- margin: min, refused when the second-nearest person is within MARGIN of the first;
- cohort: min divided by the mean distance to the COHORT next-nearest people
  (normalisation against the gallery).
Frames: with 4 photos a person, frames are measured with 2 templates and 1 or 2 probe
photos averaged (other photos of the person stand in for video frames, which vary less);
strangers are fused the same way, so the rows show whether fusing brings strangers closer.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from app.gallery.index import ip_to_l2
from benchmarks.dev_embeddings import fitting_half, load_cache

STRANGER_SHARE = 0.3
MARGIN = 0.03
COHORT = 5
RULES = ("min", "mean2", "margin", "cohort")


def people_of(cache: dict[str, np.ndarray], fitting: bool) -> list[np.ndarray]:
    """Each person's 4 cached vectors (3 to enrol, 1 to probe), of one half, in a seeded order."""
    keys = np.array([f"{d}/{i}" for d, i in zip(cache["dataset"], cache["identity"])])
    rows: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if fitting_half(key) == fitting:
            rows.setdefault(key, []).append(i)
    chosen = [np.asarray(r[:4]) for _, r in sorted(rows.items()) if len(r) >= 4]
    order = np.random.default_rng(1).permutation(len(chosen))
    return [cache["vector"][chosen[i]].astype(np.float32) for i in order]


def scores(people: list[np.ndarray], gallery: int, rule: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(genuine scores, whether the nearest person is the right one, stranger scores)."""
    templates = np.stack([p[:3] for p in people[:gallery]])  # (G, 3, D)
    probes = np.stack([p[3] for p in people[:gallery]] + [p[0] for p in people[gallery:]])
    per_template = ip_to_l2(np.einsum("pd,gkd->pgk", probes, templates))
    ordered = np.sort(per_template, axis=2)
    person = ordered[..., :2].mean(axis=2) if rule == "mean2" else ordered[..., 0]
    nearest = np.argsort(person, axis=1)
    best = np.take_along_axis(person, nearest[:, :1], axis=1)[:, 0]
    if rule == "margin":
        second = np.take_along_axis(person, nearest[:, 1:2], axis=1)[:, 0]
        best = np.where(second - best < MARGIN, np.inf, best)
    elif rule == "cohort":
        cohort = np.take_along_axis(person, nearest[:, 1:1 + COHORT], axis=1).mean(axis=1)
        best = best / cohort
    right = nearest[:gallery, 0] == np.arange(gallery)
    return best[:gallery], right, best[gallery:]


def frame_scores(people: list[np.ndarray], gallery: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Enrolled with 2 photos, probed with `frames` of the other 2 averaged (the service's fusion at
    equal quality): (genuine nearest-person distance, stranger nearest-person distance)."""
    def fused(vectors: np.ndarray) -> np.ndarray:
        mean = vectors.mean(axis=0)
        return mean / np.linalg.norm(mean)

    templates = np.stack([p[:2] for p in people[:gallery]])
    probes = np.stack([fused(p[2:2 + frames]) for p in people[:gallery]] +
                      [fused(p[:frames]) for p in people[gallery:]])
    person = ip_to_l2(np.einsum("pd,gkd->pgk", probes, templates)).min(axis=2)
    own = person[np.arange(gallery), np.arange(gallery)]
    return np.where(person[:gallery].argmin(axis=1) == np.arange(gallery), own, np.inf), \
        person[gallery:].min(axis=1)


def measure_frames(fit: list[np.ndarray], report: list[np.ndarray], size: int, frames: int, fpir: float) -> dict:
    fit_g = min(size, int(len(fit) * (1 - STRANGER_SHARE)))
    fit_genuine, fit_strangers = frame_scores(fit, fit_g, frames)
    threshold = threshold_at(fit_strangers, fpir)
    genuine, strangers = frame_scores(report, size, frames)
    return {"rule": f"frames={frames} (2 templates)", "gallery_people": size, "target_fpir": fpir,
            "threshold": round(threshold, 4), "frr": round(float(np.mean(genuine > threshold)), 4),
            "fpir": round(float(np.mean(strangers <= threshold)), 4),
            "stranger_median": round(float(np.median(strangers)), 4),
            "fit_genuine_median": round(float(np.median(fit_genuine[np.isfinite(fit_genuine)])), 4)}


def threshold_at(strangers: np.ndarray, fpir: float) -> float:
    ordered = np.sort(strangers[np.isfinite(strangers)])
    allowed = int(np.floor(fpir * len(strangers)))
    return float(ordered[allowed] - 1e-9) if allowed < len(ordered) else float(ordered[-1])


def measure(fit: list[np.ndarray], report: list[np.ndarray], size: int, rule: str, fpir: float) -> dict:
    fit_g = min(size, int(len(fit) * (1 - STRANGER_SHARE)))
    threshold = threshold_at(scores(fit, fit_g, rule)[2], fpir)
    genuine, right, strangers = scores(report, size, rule)
    admitted = genuine <= threshold
    return {"rule": rule, "gallery_people": size, "target_fpir": fpir, "threshold": round(threshold, 4),
            "frr": round(float(np.mean(~(admitted & right))), 4),
            "wrong_person": round(float(np.mean(admitted & ~right)), 4),
            "fpir": round(float(np.mean(strangers <= threshold)), 4), "strangers": int(len(strangers))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 700, 0])
    args = parser.parse_args()
    cache = load_cache()
    fit, report = people_of(cache, True), people_of(cache, False)
    largest = int(len(report) * (1 - STRANGER_SHARE))
    for size in sorted({min(s or largest, largest) for s in args.sizes}):
        for rule in RULES:
            for fpir in (0.01, 0.001):
                print(json.dumps(measure(fit, report, size, rule, fpir)))
        for frames in (1, 2):
            for fpir in (0.01, 0.001):
                print(json.dumps(measure_frames(fit, report, size, frames, fpir)))


if __name__ == "__main__":
    main()
