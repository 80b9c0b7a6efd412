"""Metric-learning losses compared on held-out people, from the shipped network, same budget.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.metric_losses [--seeds 0 1 2] [--learning-rates 1e-4 3e-4]

Chips come from the cache `facegate prepare-data` writes under var/chips/ (see
models/README.md for the exact commands); the frozen trunk's features of every chip and
its mirror are computed once into var/features/. For each loss the learning rate is
chosen on the `select` people with seed 0, then the other seeds run at that rate; every
run keeps its best `select` epoch. Only then are the `report` people scored: EER, TAR at
FAR 1e-3 and 1e-4 per data set, and the open-set FRR at FPIR 1% over one gallery of every
report person, each with a 95% interval from bootstrapping people (the seeds of a loss
are averaged inside each replicate). Writes var/ml/metric_losses.json and the training
curves to models/metric-learning-curves.png.
"""
from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from app.face.encoder import Encoder  # noqa: E402
from app.training.bootstrap import FIGURES, bootstrap_open_set, bootstrap_pairs, interval, open_set_distances, pair_set  # noqa: E402
from app.training.data import data_root  # noqa: E402
from app.training.features import Head, embed_features  # noqa: E402
from app.training.head_train import FeatureSet, HeadConfig, load_feature_splits, merged, save_run, train_head  # noqa: E402
from app.training.losses import LOSSES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]  # the checkout: var/ and models/

DATASETS = ("lfw-dev", "celeba-dev")
BASE_CARD = ROOT / "models" / "dlib-resnet-mtcnn-v1.json"
RUNS = ROOT / "var" / "runs" / "metric"
CURVES = ROOT / "models" / "metric-learning-curves.png"


def run_once(base: Encoder, splits: dict, config: HeadConfig) -> tuple[dict, list[dict]]:
    """Train (or reload) one run; its folder holds the head weights and the history."""
    folder = RUNS / f"{config.loss}-{config.miner}-lr{config.learning_rate:g}-s{config.seed}"
    if (folder / "history.json").exists():
        network = copy.deepcopy(base.network)
        network.load_state_dict(torch.load(folder / "head.pt", weights_only=True), strict=False)
        return network.state_dict(), json.loads((folder / "history.json").read_text())["history"]
    network = copy.deepcopy(base.network)
    state, history = train_head(network, merged(splits["train"]), splits["select"], config)
    save_run(folder, config, state, history, base.model_id)
    return state, history


def report_embeddings(base: Encoder, state: dict | None, report: dict[str, FeatureSet]) -> dict[str, np.ndarray]:
    network = copy.deepcopy(base.network)
    if state is not None:
        network.load_state_dict(state)
    head = Head(network).eval()
    return {name: embed_features(head, data.features) for name, data in report.items()}


def summarise(names: list[str], groups: list[list[dict[str, np.ndarray]]], report: dict[str, FeatureSet],
              replicates: int) -> dict[str, dict]:
    """Per row (a list of seed embeddings), point and 95% interval of every figure; the seeds are
    averaged inside each bootstrap replicate, and every row shares the replicates' draws."""
    flat = [(row, seed) for row, seeds in enumerate(groups) for seed in seeds]
    table: dict[str, dict] = {name: {} for name in names}
    for dataset, data in report.items():
        pairs = pair_set([seed[dataset] for _, seed in flat], data.identities)
        points, draws = bootstrap_pairs(pairs, replicates)
        for row, name in enumerate(names):
            members = [i for i, (r, _) in enumerate(flat) if r == row]
            for f, figure in enumerate(FIGURES):
                point = float(np.mean([points[i][figure] for i in members]))
                table[name][f"{dataset} {figure}"] = [point, *interval(draws[:, members, f].mean(axis=1))]
            # paired: how often this row beats the first row (the import) under the same draw
            eer = draws[:, members, 0].mean(axis=1) - draws[:, [0], 0].mean(axis=1) if row else None
            if eer is not None:
                table[name][f"{dataset} eer_minus_import"] = [float(np.mean(eer)), *interval(eer)]
    identities = [i for data in report.values() for i in data.identities]
    models = [open_set_distances(np.concatenate([seed[d] for d in report]), identities) for _, seed in flat]
    points, draws = bootstrap_open_set(models, replicates)
    for row, name in enumerate(names):
        members = [i for i, (r, _) in enumerate(flat) if r == row]
        table[name]["open-set frr_at_fpir_1e-2"] = [float(np.mean([points[i] for i in members])),
                                                   *interval(draws[:, members].mean(axis=1))]
    table["_gallery_people"] = len(models[0][0]) - 1  # type: ignore[assignment]
    return table


def plot_curves(histories: dict[str, list[list[dict]]], path: Path) -> None:
    """Selection EER and training loss per epoch, mean over each loss's seeds."""
    fig, (eer_ax, loss_ax) = plt.subplots(1, 2, figsize=(9, 3.4))
    for name, runs in histories.items():
        epochs = [r["epoch"] for r in runs[0] if "epoch" in r]
        eer = np.mean([[r["select_mean_eer"] * 100 for r in h if "epoch" in r] for h in runs], axis=0)
        eer_ax.plot(epochs, eer, marker=".", label=name)
        loss = np.mean([[r["loss"] for r in h if "loss" in r] for h in runs], axis=0)
        loss_ax.plot(epochs[1:], loss / loss[0], marker=".", label=name)
    eer_ax.set_xlabel("epoch")
    eer_ax.set_ylabel("select EER, % (mean of both sets)")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("training loss / epoch 1")
    eer_ax.grid(alpha=0.3)
    loss_ax.grid(alpha=0.3)
    loss_ax.legend(fontsize=6, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--learning-rates", type=float, nargs="+", default=[1e-4, 3e-4])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--photos-per-epoch", type=int, default=3200)
    parser.add_argument("--losses", nargs="+", help="loss or loss:miner (default: every one)")
    parser.add_argument("--replicates", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(1)
    base = Encoder.load(BASE_CARD)
    splits = load_feature_splits([data_root() / d for d in DATASETS],
                                 ROOT / "var" / "chips", base.network, base.model_id,
                                 ROOT / "var" / "features")
    counts = {s: {d: [len(v.identities), len(set(v.identities))] for d, v in sets.items()} for s, sets in splits.items()}
    print(json.dumps({"photos_people": counts}), flush=True)
    runs = [(loss, miner) for loss, miners in LOSSES.items() for miner in miners]
    if args.losses:
        runs = [r for r in runs if r[0] in args.losses or f"{r[0]}:{r[1]}" in args.losses]
    names, groups, histories, chosen, costs = ["import (shipped)"], [[report_embeddings(base, None, splits["report"])]], {}, {}, {}
    for loss, miner in runs:
        def config(lr: float, seed: int) -> HeadConfig:
            return HeadConfig(loss=loss, miner=miner, epochs=args.epochs, photos_per_epoch=args.photos_per_epoch,
                              learning_rate=lr, seed=seed)
        trials = {lr: run_once(base, splits, config(lr, args.seeds[0])) for lr in args.learning_rates}
        lr = min(trials, key=lambda r: min(h["select_mean_eer"] for h in trials[r][1] if "epoch" in h))
        seeds = [trials[lr]] + [run_once(base, splits, config(lr, s)) for s in args.seeds[1:]]
        name = loss if miner == "none" else f"{loss} ({miner})"
        names.append(name)
        groups.append([report_embeddings(base, state, splits["report"]) for state, _ in seeds])
        histories[name] = [h for _, h in seeds]
        chosen[name] = {"learning_rate": lr, "best_epochs": [h[-1]["best_epoch"] for _, h in seeds]}
        costs[name] = float(np.median([r["seconds"] for _, h in seeds for r in h if "seconds" in r]))
    table = summarise(names, groups, splits["report"], args.replicates)
    plot_curves(histories, CURVES)
    out = ROOT / "var" / "ml" / "metric_losses.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"split_photos_people": counts, "budget": vars(args), "chosen": chosen,
                               "seconds_per_epoch": costs, "table": table}, indent=2))
    for name in names:
        row = table[name]
        cells = [f"{row[k][0] * 100:.2f} [{row[k][1] * 100:.2f}, {row[k][2] * 100:.2f}]" if "eer" in k else
                 f"{row[k][0]:.3f} [{row[k][1]:.3f}, {row[k][2]:.3f}]" for k in row if "minus" not in k]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(json.dumps({"chosen": chosen, "seconds_per_epoch": costs, "columns": list(table[names[0]])}))


if __name__ == "__main__":
    main()
