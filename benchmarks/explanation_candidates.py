"""Which cell score should the explanation map show? Every candidate on the same `select` pairs.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.explanation_candidates [--split select]

The masking check of benchmarks/explanation_masking.py (mask a score's top cells of the probe,
or random cells of the same area, and compare the rise of the probe-template distance) for
each candidate, computed with PyTorch's autograd on the card's network: the per-cell cosine
and dot product of the features at level 3 (8x8 cells) and level 4 (4x4), and gradient x
feature of the flip-averaged embeddings' cosine (summed over channels, probe and template
sides added) at both levels, with and without the mirrored views. The choice is made here, on
`select` people; explanation_masking reports the chosen one on `report` people.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F

from app.core.settings import get_settings
from app.face.encoder import Encoder
from benchmarks.explanation_masking import mask_cells, split_pairs

LEVELS = {3: 10, 4: 13}  # level -> residual blocks before its features


def _views(chips: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.stack(chips).transpose(0, 3, 1, 2), np.float32))


def feature_scores(network: torch.nn.Module, probe: np.ndarray, template: np.ndarray, blocks: int) -> dict:
    with torch.no_grad():
        features = network.trunk(_views([probe, template]), blocks)
    return {"cosine": F.cosine_similarity(features[0], features[1], dim=0).numpy(),
            "dot": (features[0] * features[1]).sum(0).numpy()}


def gradient_x_feature(network: torch.nn.Module, probe: np.ndarray, template: np.ndarray, blocks: int,
                       mirrored: bool) -> np.ndarray:
    chips = [probe, template] + ([probe[:, ::-1], template[:, ::-1]] if mirrored else [])
    with torch.no_grad():
        features = network.trunk(_views(chips), blocks)
    features.requires_grad_(True)
    x = features
    for block in list(network.blocks)[blocks:]:
        x = block(x)
    raw = network.fc(x.mean(dim=(2, 3)))
    embeddings = F.normalize(raw[:2] + raw[2:] if mirrored else raw, dim=1)
    (gradient,) = torch.autograd.grad((embeddings[0] * embeddings[1]).sum(), features)
    cells = (features * gradient).sum(1).detach()
    if mirrored:
        cells = cells[:2] + cells[2:].flip(-1)
    return (cells[0] + cells[1]).numpy()


def candidates(network: torch.nn.Module, probe: np.ndarray, template: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    for level, blocks in LEVELS.items():
        for name, score in feature_scores(network, probe, template, blocks).items():
            out[f"{name}_level{level}"] = score
        out[f"gradient_x_feature_level{level}"] = gradient_x_feature(network, probe, template, blocks, False)
        out[f"gradient_x_feature_mirrored_level{level}"] = gradient_x_feature(network, probe, template, blocks, True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="select", choices=("select", "report"))
    parser.add_argument("--area", type=float, default=1 / 8, help="share of the chip masked")
    parser.add_argument("--random-draws", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    encoder = Encoder.load(get_settings().model_card)
    rng = np.random.default_rng(0)
    pairs = split_pairs(args.split)
    rises: dict[str, list[float]] = {}
    for template, probe in pairs:
        scores = candidates(encoder.network, probe, template)
        chips, names = [template, probe], []
        for name, score in scores.items():
            count = round(args.area * score.size)
            chips.append(mask_cells(probe, list(np.argsort(score.ravel())[::-1][:count]), score.shape))
            names.append(name)
        for grid in sorted({s.shape for s in scores.values()}):
            size = grid[0] * grid[1]
            for _ in range(args.random_draws):
                chips.append(mask_cells(probe, list(rng.choice(size, round(args.area * size), replace=False)), grid))
            names += [f"random_{grid[0]}x{grid[1]}"] * args.random_draws
        vectors = encoder.embed(np.stack(chips))
        rise = np.linalg.norm(vectors[2:] - vectors[0], axis=1) - np.linalg.norm(vectors[1] - vectors[0])
        for name in dict.fromkeys(names):
            rises.setdefault(name, []).append(float(np.mean([r for n, r in zip(names, rise) if n == name])))
    table = {}
    for name, values in rises.items():
        if name.startswith("random"):
            continue
        side = scores[name].shape[0]
        top, random = np.asarray(values), np.asarray(rises[f"random_{side}x{side}"])
        table[name] = {"top": round(float(top.mean()), 4), "random": round(float(random.mean()), 4),
                       "difference": round(float((top - random).mean()), 4),
                       "share_top_above_random": round(float(np.mean(top > random)), 3)}
    print(json.dumps({"split": args.split, "pairs": len(pairs), "area_masked": args.area, "scores": table}, indent=1))


if __name__ == "__main__":
    main()
