"""Metric-learning fine-tune of the top of dlib's ResNet from cached frozen-trunk features.

Every loss gets the same budget: the same trainable layers (features.Head), the same
photos seen (epochs x photos_per_epoch, PK batches), the same augmentation (a random
choice of each chip or its mirror), the same optimizer. The epoch is chosen on the
`select` people; `report` people are never looked at here.
"""
from __future__ import annotations

import copy
import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from app.face.dlib_resnet import DlibResNet
from app.training.chips import load_cached
from app.training.data import identity_split
from app.training.features import HEAD_FROM_BLOCK, Head, cached_features, embed_features
from app.training.losses import MetricObjective
from app.training.metrics import all_pair_distances, equal_error, error_curve
from app.training.sampler import pk_sampler


@dataclass
class HeadConfig:
    loss: str
    miner: str = "none"
    epochs: int = 8
    photos_per_epoch: int = 3200
    people_per_batch: int = 16
    photos_per_person: int = 4
    learning_rate: float = 1e-3  # SGD, momentum 0.9
    loss_lr_factor: float = 10.0  # class weights / proxies / centres learn this much faster
    weight_decay: float = 1e-4
    seed: int = 0


@dataclass(frozen=True)
class FeatureSet:
    features: np.ndarray  # (N, 2, C, H, W): each chip and its mirror, from features.compute_features
    identities: list[str]


def select_eer(head: Head, sets: dict[str, FeatureSet]) -> dict[str, float]:
    """EER per selection set (flip-averaged, as served)."""
    head.eval()
    out = {}
    for name, data in sets.items():
        genuine, impostor = all_pair_distances(embed_features(head, data.features), data.identities)
        out[name] = equal_error(error_curve(genuine, impostor))[0]
    return out


def train_head(network: DlibResNet, train_set: FeatureSet, select_sets: dict[str, FeatureSet],
               config: HeadConfig, log: bool = True) -> tuple[dict, list[dict]]:
    """Fine-tune network's head in place and return (state dict at the best selection epoch, history).

    Epoch 0 is the starting network: if no epoch beats it on `select`, the start is returned."""
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    head = Head(network)
    people = sorted(set(train_set.identities))
    index = {name: i for i, name in enumerate(people)}
    labels = np.array([index[name] for name in train_set.identities])
    start = torch.from_numpy(embed_features(head, train_set.features))
    class_means = torch.zeros(len(people), start.shape[1]).index_add_(0, torch.from_numpy(labels), start)
    objective = MetricObjective(config.loss, config.miner, class_means)
    groups = [{"params": list(head.parameters()), "lr": config.learning_rate}]
    if list(objective.parameters()):
        groups.append({"params": list(objective.parameters()), "lr": config.learning_rate * config.loss_lr_factor})
    optimizer = torch.optim.SGD(groups, momentum=0.9, weight_decay=config.weight_decay)
    batch = config.people_per_batch * config.photos_per_person
    sampler = pk_sampler(labels.tolist(), config.people_per_batch, config.photos_per_person, config.photos_per_epoch)
    loader = torch.utils.data.DataLoader(np.arange(len(labels)), batch_size=batch, sampler=sampler, drop_last=True)
    eer = select_eer(head, select_sets)
    history = [{"epoch": 0, "select_eer": eer, "select_mean_eer": float(np.mean(list(eer.values())))}]
    best = (history[0]["select_mean_eer"], 0, copy.deepcopy(network.state_dict()))
    for epoch in range(1, config.epochs + 1):
        head.train()
        started, losses = time.perf_counter(), []
        for rows in loader:
            rows = rows.numpy()
            mirror = np.random.randint(0, 2, len(rows))
            x = torch.from_numpy(train_set.features[rows, mirror].astype(np.float32))
            loss = objective(F.normalize(head(x), dim=1), torch.from_numpy(labels[rows]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        seconds = time.perf_counter() - started
        eer = select_eer(head, select_sets)
        row = {"epoch": epoch, "loss": float(np.mean(losses)), "seconds": round(seconds, 2), "select_eer": eer,
               "select_mean_eer": float(np.mean(list(eer.values())))}
        history.append(row)
        if log:
            print(json.dumps({"loss_name": config.loss, "miner": config.miner, "seed": config.seed, **row}), flush=True)
        if row["select_mean_eer"] < best[0]:
            best = (row["select_mean_eer"], epoch, copy.deepcopy(network.state_dict()))
    history.append({"best_epoch": best[1]})
    return best[2], history


def head_state(state: dict, from_block: int = HEAD_FROM_BLOCK) -> dict:
    """The entries of a DlibResNet state dict that the head trains."""
    def trained(key: str) -> bool:
        return key.startswith("fc.") or (key.startswith("blocks.") and int(key.split(".")[1]) >= from_block)
    return {k: v for k, v in state.items() if trained(k)}


def load_feature_splits(data_dirs: list[Path], chips_root: Path, network: DlibResNet, model_id: str,
                        cache_dir: Path) -> dict[str, dict[str, FeatureSet]]:
    """split -> data set -> features of the cached chips of that side of the three-way split."""
    out: dict[str, dict[str, FeatureSet]] = {"train": {}, "select": {}, "report": {}}
    for data in data_dirs:
        chips = load_cached(data, Path(chips_root) / f"{Path(data).name}-150")
        features = cached_features(network, model_id, chips.chips, chips.sources, cache_dir)
        sides = np.array([identity_split(i) for i in chips.identities])
        for split in out:
            rows = np.flatnonzero(sides == split)
            out[split][Path(data).name] = FeatureSet(features[rows], [chips.identities[i] for i in rows])
    return out


def merged(sets: dict[str, FeatureSet]) -> FeatureSet:
    """One training set from several data sets (identities are already unique across them)."""
    return FeatureSet(np.concatenate([s.features for s in sets.values()]),
                      [i for s in sets.values() for i in s.identities])


def save_run(out: Path, config: HeadConfig, state: dict, history: list[dict], base_model_id: str) -> None:
    """The run folder: the fine-tuned head's weights only (a delta over the base) and its history."""
    out.mkdir(parents=True, exist_ok=True)
    torch.save(head_state(state), out / "head.pt")
    (out / "history.json").write_text(json.dumps({"config": asdict(config), "base": base_model_id,
                                                  "history": history}, indent=2))
