"""Face-only decision rules at real gallery sizes: FRR at FPIR 1% and 0.1%, on people never used to choose.

    .venv/bin/python -m benchmarks.dev_embeddings   # once: the cache under var/
    .venv/bin/python -m benchmarks.open_set [--sizes 100 0]

People are split by benchmarks/dev_embeddings.fitting_half. In each half a gallery of G
people with >= 4 cached photos is enrolled with 3 photos and probed with their 4th
(genuine). Strangers (never enrolled, so never filtered by a duplicate check) are one
photo of every person of that half left out of the gallery: the people with one usable
photo (most of them) and the repeat people beyond G. Each rule's threshold for a target
FPIR is chosen on the fitting half at the same gallery size and then measured on the
report half, so the figures are of people no choice was made on. G = 0 means every
repeat person of the report half.

Rules (a score per probe; admit iff score <= threshold, to the nearest person):
- min: the nearest template of the nearest person (what the service does);
- mean2: the mean of a person's 2 nearest templates;
- margin: min, refused when the second-nearest person is within MARGIN of the first;
- cohort: min divided by the mean distance to the COHORT next-nearest people
  (normalisation against the gallery).
Frames: people with >= 6 photos are enrolled with 3 and probed with 1, 2 or 3 of the
others fused (the service's fusion at equal quality; other photos of the person stand in
for video frames, which vary less); strangers are the other repeat people, fused from as
many of their photos, so the rows show whether fusing brings strangers closer too.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from app.gallery.index import ip_to_l2
from benchmarks.dev_embeddings import fitting_half, load_cache

FRAME_PEOPLE_PHOTOS = 6  # 3 templates + up to 3 frames
MARGIN = 0.03
COHORT = 5
RULES = ("min", "mean2", "margin", "cohort")


def _rows_by_person(cache: dict[str, np.ndarray], fitting: bool) -> list[list[int]]:
    keys = np.array([f"{d}/{i}" for d, i in zip(cache["dataset"], cache["identity"])])
    rows: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if fitting_half(key) == fitting:
            rows.setdefault(key, []).append(i)
    return [r for _, r in sorted(rows.items())]


def people_of(cache: dict[str, np.ndarray], fitting: bool) -> list[np.ndarray]:
    """Every cached vector (>= 4: 3 to enrol, the rest to probe) of each repeat person of one half,
    in a seeded order."""
    chosen = [np.asarray(r) for r in _rows_by_person(cache, fitting) if len(r) >= 4]
    order = np.random.default_rng(1).permutation(len(chosen))
    return [cache["vector"][chosen[i]].astype(np.float32) for i in order]


def singles_of(cache: dict[str, np.ndarray], fitting: bool) -> np.ndarray:
    """One photo of each person of one half with fewer than 4 usable photos: strangers only."""
    rows = [r[0] for r in _rows_by_person(cache, fitting) if len(r) < 4]
    return cache["vector"][rows].astype(np.float32)


def scores(people: list[np.ndarray], singles: np.ndarray, gallery: int,
           rule: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(genuine scores, whether the nearest person is the right one, stranger scores)."""
    templates = np.stack([p[:3] for p in people[:gallery]])  # (G, 3, D)
    probes = np.concatenate([np.stack([p[3] for p in people[:gallery]] + [p[0] for p in people[gallery:]]),
                             singles])
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


def frame_people(people: list[np.ndarray]) -> list[np.ndarray]:
    return [p for p in people if len(p) >= FRAME_PEOPLE_PHOTOS]


def frame_scores(people: list[np.ndarray], gallery: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `gallery` people with >= 6 photos enrolled with 3, probed with `frames` of the others
    fused; every other repeat person a stranger fused from their first `frames` photos:
    (genuine nearest-person distance, inf when the nearest is someone else; stranger distance)."""
    def fused(vectors: np.ndarray) -> np.ndarray:
        mean = vectors.mean(axis=0)
        return mean / np.linalg.norm(mean)

    enrolled = frame_people(people)[:gallery]
    ids = {id(p) for p in enrolled}
    strangers = [p for p in people if id(p) not in ids]
    templates = np.stack([p[:3] for p in enrolled])
    probes = np.stack([fused(p[3:3 + frames]) for p in enrolled] + [fused(p[:frames]) for p in strangers])
    person = ip_to_l2(np.einsum("pd,gkd->pgk", probes, templates)).min(axis=2)
    own = person[np.arange(gallery), np.arange(gallery)]
    return np.where(person[:gallery].argmin(axis=1) == np.arange(gallery), own, np.inf), \
        person[gallery:].min(axis=1)


def measure_frames(fit: list[np.ndarray], report: list[np.ndarray], size: int, frames: int, fpir: float) -> dict:
    size = min(size, len(frame_people(report)), len(frame_people(fit)))
    fit_genuine, fit_strangers = frame_scores(fit, size, frames)
    threshold = threshold_at(fit_strangers, fpir)
    genuine, strangers = frame_scores(report, size, frames)
    return {"rule": f"min, frames={frames}", "gallery_people": size, "target_fpir": fpir,
            "threshold": round(threshold, 4), "frr": round(float(np.mean(genuine > threshold)), 4),
            "fpir": round(float(np.mean(strangers <= threshold)), 4), "strangers": int(len(strangers)),
            "stranger_median": round(float(np.median(strangers)), 4),
            "fit_genuine_median": round(float(np.median(fit_genuine[np.isfinite(fit_genuine)])), 4)}


def threshold_at(strangers: np.ndarray, fpir: float) -> float:
    ordered = np.sort(strangers[np.isfinite(strangers)])
    allowed = int(np.floor(fpir * len(strangers)))
    return float(ordered[allowed] - 1e-9) if allowed < len(ordered) else float(ordered[-1])


def measure(fit: tuple[list[np.ndarray], np.ndarray], report: tuple[list[np.ndarray], np.ndarray], size: int,
            rule: str, fpir: float) -> dict:
    threshold = threshold_at(scores(*fit, min(size, len(fit[0])), rule)[2], fpir)
    genuine, right, strangers = scores(*report, size, rule)
    admitted = genuine <= threshold
    return {"rule": rule, "gallery_people": size, "target_fpir": fpir, "threshold": round(threshold, 4),
            "frr": round(float(np.mean(~(admitted & right))), 4),
            "wrong_person": round(float(np.mean(admitted & ~right)), 4),
            "fpir": round(float(np.mean(strangers <= threshold)), 4), "strangers": int(len(strangers))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 0])
    args = parser.parse_args()
    cache = load_cache()
    fit = people_of(cache, True), singles_of(cache, True)
    report = people_of(cache, False), singles_of(cache, False)
    largest = len(report[0])
    for size in sorted({min(s or largest, largest) for s in args.sizes}):
        for rule in RULES:
            for fpir in (0.01, 0.001):
                print(json.dumps(measure(fit, report, size, rule, fpir)))
        for frames in (1, 2, 3):
            for fpir in (0.01, 0.001):
                print(json.dumps(measure_frames(fit[0], report[0], size, frames, fpir)))


if __name__ == "__main__":
    main()
