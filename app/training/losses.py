"""Triplet loss on L2-normalised embeddings with online mining (batch-hard or semi-hard)."""
from __future__ import annotations

import torch
from pytorch_metric_learning import losses, miners
from pytorch_metric_learning.utils import loss_and_miner_utils as lmu

MINERS = ("batch_hard", "semihard")


class TripletObjective:
    """Mines triplets in each batch; returns the loss and the fraction of all valid triplets
    in the batch that still violate the margin (the miner's own picks would say ~1 always)."""

    def __init__(self, miner: str = "batch_hard", margin: float = 0.2) -> None:
        if miner == "batch_hard":
            self.miner = miners.BatchHardMiner()
        elif miner == "semihard":
            self.miner = miners.TripletMarginMiner(margin=margin, type_of_triplets="semihard")
        else:
            raise ValueError(f"unknown miner {miner!r}; choose from {MINERS}")
        self.margin = margin
        self.loss = losses.TripletMarginLoss(margin=margin)  # LpDistance on normalised embeddings

    def __call__(self, embeddings: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, float]:
        loss = self.loss(embeddings, labels, self.miner(embeddings, labels))
        anchors, positives, negatives = lmu.get_all_triplets_indices(labels)
        if len(anchors) == 0:
            return loss, 0.0
        unit = torch.nn.functional.normalize(embeddings.detach(), dim=1)
        d_ap = (unit[anchors] - unit[positives]).norm(dim=1)
        d_an = (unit[anchors] - unit[negatives]).norm(dim=1)
        return loss, float((d_ap - d_an + self.margin > 0).float().mean())
