"""Write the model card's `open_set` section from the dev-photo cache, on the fitting half only.

    .venv/bin/python -m tools.fit_open_set [--card models/dlib-resnet-mtcnn-v1.json]

Identities are split in two halves by a salted hash (benchmarks/dev_embeddings.py:
fitting_half); this fits on the first, so the benchmarks report on people never used to
choose a rule or threshold. Written: the pair FMR along a grid of distances with its
upper bootstrap-by-person bound (97.5th percentile over BOOTSTRAP resamples of people,
each resample weighting a person's impostor pairs by how often it drew them), and the
same-person distance, the GENUINE_QUANTILE quantile of genuine pair distances. Where
the data runs out the bound continues its log-linear tail (extrapolated_tail).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from app.core.settings import Settings
from app.gallery.index import ip_to_l2
from benchmarks.dev_embeddings import fitting_half, load_cache

GRID = np.round(np.arange(0.15, 0.60001, 0.0025), 5)
BOOTSTRAP = 200
GENUINE_QUANTILE = 0.999
TAIL_COUNT = 30


def extrapolated_tail(fmr: np.ndarray, pairs: float) -> np.ndarray:
    """Below the resolution of the data (fewer than TAIL_COUNT impostor pairs within a threshold),
    continue log FMR along the straight line fitted where it is resolved (TAIL_COUNT pairs up to
    FMR 1e-2), so a bound at a large gallery is never read off an empty tail; never below the data."""
    resolved = (fmr * pairs >= TAIL_COUNT) & (fmr <= 1e-2)
    if resolved.sum() < 3:
        return fmr
    slope, intercept = np.polyfit(GRID[resolved], np.log(fmr[resolved]), 1)
    tail = GRID < GRID[resolved][0]
    return np.where(tail, np.maximum(fmr, np.exp(intercept + slope * GRID)), fmr)


def fit(identities: np.ndarray, vectors: np.ndarray) -> dict:
    people, person = np.unique(identities, return_inverse=True)
    distances = ip_to_l2(vectors @ vectors.T)
    upper = np.triu(np.ones(distances.shape, bool), k=1)
    same = person[:, None] == person[None, :]
    genuine = distances[upper & same]
    below = np.zeros((len(people), len(GRID)))  # impostor pairs of each person within each threshold
    pairs = np.zeros(len(people))
    for i in range(len(vectors)):
        other = ~same[i]
        d = np.sort(distances[i, other])
        below[person[i]] += np.searchsorted(d, GRID, side="right")
        pairs[person[i]] += len(d)
    fmr = below.sum(axis=0) / pairs.sum()
    rng = np.random.default_rng(0)
    draws = rng.multinomial(len(people), np.full(len(people), 1 / len(people)), size=BOOTSTRAP)
    resampled = (draws @ below) / (draws @ pairs)[:, None]
    bound = np.maximum(np.quantile(resampled, 0.975, axis=0), fmr)
    return {"pair_fmr": {"thresholds": GRID.tolist(), "fmr": [float(f) for f in fmr],
                         "fmr_upper": [float(f) for f in extrapolated_tail(bound, pairs.sum() / 2)]},
            "same_person_max": round(float(np.quantile(genuine, GENUINE_QUANTILE)), 4),
            "people": int(len(people)), "photos": int(len(vectors)),
            "impostor_pairs": int(pairs.sum() // 2), "genuine_pairs": int(len(genuine))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--card", type=Path, default=Settings().model_card)
    args = parser.parse_args()
    cache = load_cache()
    keys = np.array([f"{d}/{i}" for d, i in zip(cache["dataset"], cache["identity"])])
    chosen = np.array([fitting_half(k) for k in keys])
    section = fit(keys[chosen], cache["vector"][chosen].astype(np.float32))
    section["source"] = ("tools/fit_open_set.py: lfw-dev + celeba-dev photos through the door pipeline, "
                         "the fitting half of the identities (benchmarks report on the other half)")
    card = json.loads(args.card.read_text())
    card["open_set"] = section
    args.card.write_text(json.dumps(card, indent=2) + "\n")
    print({k: v for k, v in section.items() if k != "pair_fmr"})


if __name__ == "__main__":
    main()
