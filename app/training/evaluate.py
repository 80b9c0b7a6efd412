"""Held-out evaluation: embed every photo once, score all pairs (or a pairs CSV), plot DET/ROC."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from tqdm import tqdm  # noqa: E402

from app.face.pipeline import FacePipeline  # noqa: E402
from app.training.chips import ChipSet  # noqa: E402
from app.training.metrics import all_pair_distances, error_curve, summarize  # noqa: E402
from app.training.splits import load_split  # noqa: E402


def _pair_distances(data: Path, pairs_csv: Path, pipeline: FacePipeline) -> tuple[np.ndarray, np.ndarray, int]:
    """Distances for the listed pairs; each distinct photo is embedded once."""
    with open(pairs_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    paths = sorted({r["a"] for r in rows} | {r["b"] for r in rows})
    vectors: dict[str, np.ndarray] = {}
    for rel in tqdm(paths, desc="embedding"):
        with Image.open(data / rel) as raw:
            face = pipeline.training_chip(raw.convert("RGB"))
        if face is not None:
            vectors[rel] = pipeline.embed([face])[0]
    genuine, impostor, failures = [], [], len(paths) - len(vectors)
    for r in rows:
        if r["a"] in vectors and r["b"] in vectors:
            d = float(np.linalg.norm(vectors[r["a"]] - vectors[r["b"]]))
            (genuine if r["same"].strip() == "1" else impostor).append(d)
    return np.asarray(genuine), np.asarray(impostor), failures


def evaluate_chips(chips: ChipSet, pipeline: FacePipeline) -> tuple[dict, np.ndarray, np.ndarray]:
    embeddings = pipeline.encoder.embed(chips.chips)
    genuine, impostor = all_pair_distances(embeddings, chips.identities)
    report = summarize(genuine, impostor)
    report.update(photos=len(chips.identities), people=len(set(chips.identities)), failures=len(chips.failures))
    return report, genuine, impostor


def evaluate(data: Path, pipeline: FacePipeline, out_json: Path, pairs_csv: Path | None = None,
             chip_cache: Path | None = None, split: str = "all") -> dict:
    """Write the metrics JSON and a DET/ROC PNG beside it; return the metrics."""
    data = Path(data)
    if pairs_csv is not None:
        genuine, impostor, failures = _pair_distances(data, Path(pairs_csv), pipeline)
        report = summarize(genuine, impostor)
        report["failures"] = failures
    else:
        cache = Path(chip_cache) if chip_cache else out_json.parent / "chips"
        report, genuine, impostor = evaluate_chips(load_split(data, cache, pipeline, split), pipeline)
        report["split"] = split
    report["model_id"] = pipeline.encoder.model_id
    report["data"] = str(data)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(report, indent=2))
    plot_curves(genuine, impostor, out_json.with_suffix(".png"), title=f"{pipeline.encoder.model_id} on {data.name}")
    return report


def plot_curves(genuine: np.ndarray, impostor: np.ndarray, path: Path, title: str) -> None:
    """DET (FRR vs FAR, log axes) and FAR/FRR against the distance threshold."""
    curve = error_curve(genuine, impostor)
    fig, (det, sweep) = plt.subplots(1, 2, figsize=(11, 4.5))
    floor = 1.0 / max(len(impostor), 1)
    det.loglog(np.maximum(curve.far, floor), np.maximum(curve.frr, 1.0 / max(len(genuine), 1)))
    det.set_xlabel("FAR (impostors admitted)")
    det.set_ylabel("FRR (genuine rejected)")
    det.set_title("DET")
    det.grid(True, which="both", alpha=0.3)
    sweep.plot(curve.thresholds, curve.far, label="FAR")
    sweep.plot(curve.thresholds, curve.frr, label="FRR")
    sweep.set_xlabel("L2 distance threshold (admit iff d <= t)")
    sweep.set_yscale("log")
    sweep.set_ylim(floor, 1.0)
    sweep.legend()
    sweep.grid(True, which="both", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
