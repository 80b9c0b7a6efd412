"""Does the similarity map mean something? Masking its most-similar cells vs random cells.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.explanation_masking [--cells 8] [--random-draws 3]

On held-out (`report`) people of both data sets, each person's first chip is the
template (the prototype) and their second the probe. app.face.explain's map ranks the
probe's cells by cosine similarity to the template's; masking the top `cells` of them
(filled with the network's mean colour) should raise the probe's embedding distance to
the template more than masking the same number of random cells, if the map points at
the parts that made the two faces agree. Reports both averages, their paired difference
with a 95% interval from bootstrapping people, and the share of pairs where top > random.
Chips come from var/chips (see models/README.md); the shipped encoder, flip-averaged.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from app.face.encoder import Encoder
from app.face.explain import mask_cells, similarity_map
from app.training.bootstrap import interval
from app.training.chips import load_cached
from app.training.data import data_root, identity_split

ROOT = Path(__file__).resolve().parents[1]  # the checkout: var/ and models/

DATASETS = ("lfw-dev", "celeba-dev")


def report_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    """(template chip, probe chip) of every report person with two cached chips."""
    pairs = []
    for name in DATASETS:
        chips = load_cached(data_root() / name, ROOT / "var" / "chips" / f"{name}-150")
        rows: dict[str, list[int]] = {}
        for i, identity in enumerate(chips.identities):
            if identity_split(identity) == "report":
                rows.setdefault(identity, []).append(i)
        pairs += [(chips.chips[r[0]], chips.chips[r[1]]) for _, r in sorted(rows.items()) if len(r) >= 2]
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=8, help="cells masked (of the 8x8 grid)")
    parser.add_argument("--random-draws", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    encoder = Encoder.load(ROOT / "models" / "dlib-resnet-mtcnn-v1.json")
    rng = np.random.default_rng(0)
    pairs = report_pairs()
    top_rise, random_rise = [], []
    for template, probe in pairs:
        similarity = similarity_map(encoder.network, probe, template)
        grid = similarity.shape
        top = list(np.argsort(similarity.ravel())[::-1][:args.cells])
        randoms = [list(rng.choice(similarity.size, args.cells, replace=False)) for _ in range(args.random_draws)]
        chips = [template, probe, mask_cells(probe, top, grid)] + [mask_cells(probe, r, grid) for r in randoms]
        vectors = encoder.embed(np.stack(chips))
        distance = np.linalg.norm(vectors[1:] - vectors[0], axis=1)
        top_rise.append(distance[1] - distance[0])
        random_rise.append(float(np.mean(distance[2:] - distance[0])))
    top_rise, random_rise = np.asarray(top_rise), np.asarray(random_rise)
    difference = top_rise - random_rise
    draws = [difference[rng.integers(0, len(difference), len(difference))].mean() for _ in range(2000)]
    print(json.dumps({
        "pairs": len(pairs), "cells_masked": f"{args.cells} of {grid[0] * grid[1]}",
        "mean_distance_rise_top_cells": round(float(top_rise.mean()), 4),
        "mean_distance_rise_random_cells": round(float(random_rise.mean()), 4),
        "difference": round(float(difference.mean()), 4),
        "difference_95": [round(v, 4) for v in interval(np.asarray(draws))],
        "share_top_above_random": round(float(np.mean(difference > 0)), 3)}))


if __name__ == "__main__":
    main()
