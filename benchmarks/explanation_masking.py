"""Does the explanation map mean something? Masking its top cells vs random cells of the same area.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.explanation_masking [--split report] [--cells 8]

Each person of `split` (app.training.data.identity_split; `select` chose the score, `report`
reports it) with two cached chips gives one pair: the first chip is the template (the
prototype), the second the probe. Two cell scores of the probe against the template are
compared on the same pairs, both from the serving graph (app/face/explain.py on ONNX Runtime):
the route's map (each cell's gradient x feature pull on the cosine) and the per-cell cosine of
the features (ProtoPNet's patch similarity). Masking a score's top `cells` of the 8x8 grid
(filled with the network's mean colour) should raise the probe-template distance of the
serving encoder (ONNX, flip-averaged) more than masking the same number of random cells, if
the map points at what made the two faces agree. Per score: both mean rises, their paired
difference with a 95% interval from bootstrapping people (one pair per person), and the share
of pairs where top > random. Chips come from var/chips (see models/README.md).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from app.core.settings import get_settings
from app.face.dlib_resnet import CHANNEL_MEANS
from app.face.encoder import Encoder
from app.face.explain import CellExplainer, CellMap
from app.training.bootstrap import interval
from app.training.chips import load_cached
from app.training.data import data_root, identity_split

ROOT = Path(__file__).resolve().parents[1]  # the checkout: var/
DATASETS = ("lfw-dev", "celeba-dev")
SCORES = {"cell_pull": lambda m: m.pull, "feature_cosine": lambda m: m.feature_cosine}


def split_pairs(split: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(template chip, probe chip) of every person of `split` with two cached chips."""
    pairs = []
    for name in DATASETS:
        chips = load_cached(data_root() / name, ROOT / "var" / "chips" / f"{name}-150")
        rows: dict[str, list[int]] = {}
        for i, identity in enumerate(chips.identities):
            if identity_split(identity) == split:
                rows.setdefault(identity, []).append(i)
        pairs += [(chips.chips[r[0]], chips.chips[r[1]]) for _, r in sorted(rows.items()) if len(r) >= 2]
    return pairs


def mask_cells(chip: np.ndarray, cells: list[int], grid: tuple[int, int]) -> np.ndarray:
    """The chip with the given cells (row-major indices of `grid`, tiling the chip) filled with
    the network's mean colour (zero input after normalisation)."""
    out = chip.copy()
    ys = np.linspace(0, chip.shape[0], grid[0] + 1).round().astype(int)
    xs = np.linspace(0, chip.shape[1], grid[1] + 1).round().astype(int)
    for cell in cells:
        row, col = divmod(cell, grid[1])
        out[ys[row]:ys[row + 1], xs[col]:xs[col + 1]] = np.round(CHANNEL_MEANS)
    return out


def summary(top: np.ndarray, random: np.ndarray, rng: np.random.Generator) -> dict:
    difference = top - random
    draws = [difference[rng.integers(0, len(difference), len(difference))].mean() for _ in range(2000)]
    return {"mean_distance_rise_top_cells": round(float(top.mean()), 4),
            "mean_distance_rise_random_cells": round(float(random.mean()), 4),
            "difference": round(float(difference.mean()), 4),
            "difference_95": [round(v, 4) for v in interval(np.asarray(draws))],
            "share_top_above_random": round(float(np.mean(difference > 0)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="report", choices=("select", "report"))
    parser.add_argument("--cells", type=int, default=8, help="cells masked (of the 8x8 grid)")
    parser.add_argument("--random-draws", type=int, default=3)
    args = parser.parse_args()
    card = get_settings().model_card
    encoder, explainer = Encoder.load_onnx(card), CellExplainer.load(card)
    rng = np.random.default_rng(0)
    pairs = split_pairs(args.split)
    rises: dict[str, list[float]] = {name: [] for name in SCORES}
    random_rise = []
    for template, probe in pairs:
        cell_map: CellMap = explainer.explain(probe, template)
        grid = cell_map.pull.shape
        chips = [template, probe]
        for score in SCORES.values():
            chips.append(mask_cells(probe, list(np.argsort(score(cell_map).ravel())[::-1][:args.cells]), grid))
        for _ in range(args.random_draws):
            chips.append(mask_cells(probe, list(rng.choice(grid[0] * grid[1], args.cells, replace=False)), grid))
        vectors = encoder.embed(np.stack(chips))
        rise = np.linalg.norm(vectors[2:] - vectors[0], axis=1) - np.linalg.norm(vectors[1] - vectors[0])
        for i, name in enumerate(SCORES):
            rises[name].append(rise[i])
        random_rise.append(float(rise[len(SCORES):].mean()))
    random = np.asarray(random_rise)
    print(json.dumps({"split": args.split, "pairs": len(pairs), "cells_masked": f"{args.cells} of {grid[0] * grid[1]}",
                      **{name: summary(np.asarray(rises[name]), random, np.random.default_rng(1)) for name in SCORES}},
                     indent=1))


if __name__ == "__main__":
    main()
