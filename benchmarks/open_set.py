"""Face-only doors at a real gallery size: what each threshold costs in FRR and buys in FPIR.

    .venv/bin/python -m benchmarks.open_set [--thresholds 0.26 0.28 0.30 0.32 0.34 0.3618]

A face-only door compares a stranger with everyone enrolled, so its false-accept rate
(FPIR) grows with the gallery while the pair rate (FMR) of the model card does not.
Every dev person with >= 4 photos is enrolled with 3 of them (chips from the cache
that `facegate prepare-data` writes under var/chips/) and probed with the 4th: FRR is
the share of probes farther than the threshold from their own templates, FPIR the
share whose nearest *other* person is within it (each probe plays a stranger to a
gallery of everyone else). The shipped model was never trained on these people.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from app.core.settings import Settings
from app.face.encoder import Encoder
from app.training.chips import load_chips
from app.training.data import data_root, list_photos

DATASETS = ("lfw-dev", "celeba-dev")


def enrolled_and_probes(encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    """(people, 3, D) templates and (people, D) probes."""
    templates, probes = [], []
    for name in DATASETS:
        chips = load_chips(Path("var") / "chips" / f"{name}-{encoder.alignment.size}",
                           list_photos(data_root() / name))
        rows: dict[str, list[int]] = {}
        for i, identity in enumerate(chips.identities):
            rows.setdefault(identity, []).append(i)
        for identity in sorted(rows):
            if len(rows[identity]) >= 4:
                vectors = encoder.embed(chips.chips[rows[identity][:4]])
                templates.append(vectors[:3])
                probes.append(vectors[3])
    return np.stack(templates), np.stack(probes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.26, 0.28, 0.30, 0.32, 0.34])
    args = parser.parse_args()
    encoder = Encoder.load_onnx(Settings().model_card, 2)
    templates, probes = enrolled_and_probes(encoder)
    cosines = np.einsum("pd,qkd->pqk", probes, templates)
    distances = np.sqrt(np.clip(2 - 2 * cosines, 0, None)).min(axis=2)  # probe p to person q
    own = np.diag(distances).copy()
    np.fill_diagonal(distances, np.inf)
    nearest_other = distances.min(axis=1)
    people = len(probes)
    for threshold in sorted({*args.thresholds, encoder.recommended_threshold}):
        print(json.dumps({"threshold": threshold, "gallery_people": people - 1,
                          "frr": round(float(np.mean(own > threshold)), 3),
                          "fpir": round(float(np.mean(nearest_other <= threshold)), 3),
                          "model_card": threshold == encoder.recommended_threshold}))


if __name__ == "__main__":
    main()
