"""Triplet fine-tuning of an encoder on cached chips, with per-epoch validation and resume."""
from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from app.face.encoder import Encoder
from app.training.augment import ChipDataset, chip_augmentation
from app.training.chips import ChipSet
from app.training.losses import TripletObjective
from app.training.metrics import all_pair_distances, summarize
from app.training.model_card import write_model
from app.training.sampler import pk_sampler


@dataclass
class TrainConfig:
    out_dir: Path
    model_id: str = "facegate-dlib-ft"
    epochs: int = 3
    photos_per_epoch: int = 12000
    people_per_batch: int = 16
    photos_per_person: int = 4
    min_photos_per_person: int = 4  # people with fewer training photos are left out
    miner: str = "batch_hard"
    margin: float = 0.2
    augment_strength: float = 1.0  # 0 turns augmentation off
    optimizer: str = "sgd"  # sgd (momentum 0.9) keeps a pretrained network close to its start; or adamw
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    frozen_blocks: int = 0  # freeze the stem and this many residual blocks (dlib_resnet)
    seed: int = 0
    half_weights: bool = False


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _freeze(network: torch.nn.Module, blocks: int) -> None:
    if blocks <= 0:
        return
    if not hasattr(network, "stem_conv"):
        raise ValueError("frozen_blocks applies to the dlib_resnet architecture")
    frozen = [network.stem_conv, network.stem_affine, *list(network.blocks)[:blocks]]
    for module in frozen:
        for p in module.parameters():
            p.requires_grad_(False)


def validate(encoder: Encoder, val_sets: dict[str, ChipSet]) -> dict[str, dict]:
    """Held-out figures per validation set (identities never trained on)."""
    encoder.network.eval()
    report = {}
    for name, chips in val_sets.items():
        genuine, impostor = all_pair_distances(encoder.embed(chips.chips), chips.identities)
        report[name] = summarize(genuine, impostor)
    return report


def train(encoder: Encoder, train_set: ChipSet, val_sets: dict[str, ChipSet], config: TrainConfig,
          progress: bool = True) -> tuple[Path, dict]:
    """Fine-tune encoder.network in place; keep the epoch with the best mean validation EER.

    Returns the written model card path and the per-epoch history.
    """
    _seed_everything(config.seed)
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    identities = sorted(set(train_set.identities))
    index = {name: i for i, name in enumerate(identities)}
    labels = [index[name] for name in train_set.identities]
    augment = chip_augmentation(config.augment_strength) if config.augment_strength > 0 else None
    dataset = ChipDataset(train_set.chips, labels, augment)
    batch = config.people_per_batch * config.photos_per_person
    sampler = pk_sampler(labels, config.people_per_batch, config.photos_per_person, config.photos_per_epoch)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, sampler=sampler, drop_last=True)
    network = encoder.network
    _freeze(network, config.frozen_blocks)
    trainable = [p for p in network.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(trainable, lr=config.learning_rate, momentum=0.9,
                                    weight_decay=config.weight_decay)
    else:
        optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    objective = TripletObjective(config.miner, config.margin)
    checkpoint = out / "checkpoint.pt"
    state = {"epoch": 0, "history": [], "best": None}
    if checkpoint.exists():
        saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
        network.load_state_dict(saved["network"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        torch.set_rng_state(saved["rng"])
    if not state["history"]:
        state["history"].append({"epoch": 0, "validation": validate(encoder, val_sets)})
    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        network.train()
        losses, active, started = [], [], time.time()
        bar = tqdm(loader, desc=f"epoch {epoch}/{config.epochs}", disable=not progress)
        for chips, batch_labels in bar:
            loss, fraction = objective(F.normalize(network(chips), dim=1), batch_labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            active.append(fraction)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", active=f"{np.mean(active[-20:]):.2f}")
        validation = validate(encoder, val_sets)
        row = {"epoch": epoch, "loss": float(np.mean(losses)), "active_triplets": float(np.mean(active)),
               "seconds": round(time.time() - started, 1), "validation": validation}
        state["history"].append(row)
        print(json.dumps({"epoch": epoch, "loss": row["loss"], "active": row["active_triplets"],
                          **{k: v["eer"] for k, v in validation.items()}}), flush=True)
        state["epoch"] = epoch
        mean_eer = float(np.mean([v["eer"] for v in validation.values()]))
        if state["best"] is None or mean_eer < state["best"]["mean_eer"]:
            state["best"] = {"epoch": epoch, "mean_eer": mean_eer}
            torch.save(network.state_dict(), out / "best.pt")
        torch.save({"network": network.state_dict(), "optimizer": optimizer.state_dict(), "state": state,
                    "rng": torch.get_rng_state()}, checkpoint)
    (out / "history.json").write_text(json.dumps(state["history"], indent=2))
    if state["best"] is not None:
        network.load_state_dict(torch.load(out / "best.pt", map_location="cpu", weights_only=True))
    card = {k: v for k, v in encoder.card.items() if k not in ("model_id", "weights", "weights_dtype")}
    card["training"] = {**{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
                        "loss": "TripletMarginLoss (pytorch-metric-learning), L2-normalised embeddings",
                        "started_from": encoder.model_id, "best_epoch": (state["best"] or {}).get("epoch", 0),
                        "train_photos": len(labels), "train_people": len(identities)}
    card["history"] = [{k: v for k, v in row.items() if k != "validation"} |
                       {"validation_eer": {n: r["eer"] for n, r in row["validation"].items()}}
                       for row in state["history"]]
    return write_model(out, config.model_id, network, card, half=config.half_weights), state["history"]
