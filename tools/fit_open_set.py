"""Write the model card's `open_set` section from the dev-photo cache, on the fitting half only.

    .venv/bin/python -m tools.fit_open_set [--card models/dlib-resnet-mtcnn-v1.json]

Identities are split in two halves by a salted hash (benchmarks/dev_embeddings.py:
fitting_half); this fits on the first, so the benchmarks report on people never used to
choose a rule or threshold. Written: the person-level false-match rate along a grid of distances (a stranger's
photo within the distance of at least one of a person's TEMPLATES templates) with its
upper bootstrap-by-person bound (97.5th percentile over BOOTSTRAP resamples of enrolled
people); where the data runs out the bound continues its log-linear tail
(extrapolated_tail). Also the pair FMR and the same-person distance: the largest grid
distance whose pair FMR is <= SAME_PERSON_FMR; and frame_offset, how much stricter the
threshold must be for a probe fused from several frames (fusion brings strangers closer too).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from app.core.settings import Settings
from app.gallery.index import ip_to_l2
from benchmarks.dev_embeddings import fitting_half, load_cache
from benchmarks.open_set import frame_people, frame_scores, people_of, threshold_at

GRID = np.round(np.arange(0.15, 0.60001, 0.0025), 5)
BOOTSTRAP = 200
TEMPLATES = 3
SAME_PERSON_FMR = 1e-3
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


def _bootstrap_upper(below: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Upper bootstrap-by-person bound of sum(below) / sum(pairs), per threshold."""
    rng = np.random.default_rng(0)
    draws = rng.multinomial(len(pairs), np.full(len(pairs), 1 / len(pairs)), size=BOOTSTRAP)
    resampled = (draws @ below) / (draws @ pairs)[:, None]
    return np.maximum(np.quantile(resampled, 0.975, axis=0), below.sum(axis=0) / pairs.sum())


def fit(identities: np.ndarray, vectors: np.ndarray) -> dict:
    people, person = np.unique(identities, return_inverse=True)
    distances = ip_to_l2(vectors @ vectors.T)
    same = person[:, None] == person[None, :]
    upper = np.triu(np.ones(distances.shape, bool), k=1)
    impostor = np.sort(distances[upper & ~same])
    pair_fmr = np.searchsorted(impostor, GRID, side="right") / len(impostor)
    # Person level: each person with TEMPLATES + 1 photos enrolled with TEMPLATES of them; every
    # photo of anyone else is a stranger, matched at its nearest of those templates.
    enrolled = [np.flatnonzero(person == p)[:TEMPLATES] for p in range(len(people))
                if (person == p).sum() > TEMPLATES]
    below = np.zeros((len(enrolled), len(GRID)))
    pairs = np.zeros(len(enrolled))
    for row, rows in enumerate(enrolled):
        strangers = person != person[rows[0]]
        nearest = np.sort(distances[np.ix_(strangers, rows)].min(axis=1))
        below[row] = np.searchsorted(nearest, GRID, side="right")
        pairs[row] = len(nearest)
    return {"person_fmr": {"thresholds": GRID.tolist(), "templates_per_person": TEMPLATES,
                           "fmr": [float(f) for f in below.sum(axis=0) / pairs.sum()],
                           "fmr_upper": [float(f) for f in extrapolated_tail(_bootstrap_upper(below, pairs),
                                                                             pairs.sum())]},
            "pair_fmr": {"thresholds": GRID.tolist(), "fmr": [float(f) for f in pair_fmr]},
            "same_person_max": float(GRID[np.flatnonzero(pair_fmr <= SAME_PERSON_FMR)[-1]]),
            "same_person_fmr": SAME_PERSON_FMR,
            "people": int(len(people)), "enrolled_people": len(enrolled), "photos": int(len(vectors)),
            "person_stranger_pairs": int(pairs.sum()), "impostor_pairs": int(len(impostor))}


def frame_offset(people: list[np.ndarray]) -> float:
    """How much closer fusing frames brings strangers: the largest drop of the FPIR 1% threshold from
    1 probe photo to 2 or 3 fused (3 templates a person, the people with 6 photos enrolled, every
    other repeat person a stranger)."""
    gallery = len(frame_people(people))
    one, *more = (threshold_at(frame_scores(people, gallery, k)[1], 0.01) for k in (1, 2, 3))
    return round(max(0.0, one - min(more)), 4)


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
    section["frame_offset"] = frame_offset(people_of(cache, fitting=True))
    card = json.loads(args.card.read_text())
    card["open_set"] = section
    args.card.write_text(json.dumps(card, indent=2) + "\n")
    print({k: v for k, v in section.items() if not k.endswith("_fmr")})


if __name__ == "__main__":
    main()
