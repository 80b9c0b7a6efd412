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


class SoftmaxCenterLoss(torch.nn.Module):
    """Center loss with its softmax (Wen et al., 2016): cross-entropy of a linear classifier
    plus `weight` x half the squared distance of each embedding to its class centre. On unit
    embeddings the logits are scaled, else a softmax over cosines stays nearly flat."""

    def __init__(self, num_classes: int, dim: int, weight: float = 0.5, scale: float = 16.0) -> None:
        super().__init__()
        self.classifier = torch.nn.Linear(dim, num_classes)
        self.centres = torch.nn.Parameter(torch.randn(num_classes, dim) / dim ** 0.5)
        self.weight = weight
        self.scale = scale

    def centre_term(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return 0.5 * (embeddings - self.centres[labels]).pow(2).sum(dim=1).mean()

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        softmax = torch.nn.functional.cross_entropy(self.classifier(self.scale * embeddings), labels)
        return softmax + self.weight * self.centre_term(embeddings, labels)


# loss name -> the miners it takes ("none" = the loss forms its own pairs or uses proxies).
LOSSES: dict[str, tuple[str, ...]] = {
    "contrastive": ("none",),
    "triplet": ("easy", "semihard", "batch_hard"),
    "center": ("none",),
    "npair": ("none",),
    "angular": ("none",),
    "arcface": ("none",),
    "proxy_anchor": ("none",),
}
LOSS_SETTINGS = {
    "contrastive": "ContrastiveLoss, pos margin 0.2, neg margin 0.5 (L2 on unit vectors), all pairs in the batch",
    "triplet": "TripletMarginLoss margin 0.1",
    "center": "softmax (scale 16 on unit vectors) + 0.5 x center loss",
    "npair": "NPairsLoss (one anchor-positive pair per person in the batch)",
    "angular": "AngularLoss alpha 40 degrees",
    "arcface": "ArcFaceLoss margin 28.6 degrees, scale 64",
    "proxy_anchor": "ProxyAnchorLoss margin 0.1, alpha 32",
}
TRIPLET_MINERS = {
    "easy": "easiest positive + semi-hard negative per anchor (BatchEasyHardMiner; Xuan et al., 2020)",
    "semihard": "every semi-hard triplet (TripletMarginMiner)",
    "batch_hard": "hardest positive + hardest negative per anchor (BatchHardMiner)",
}


class MetricObjective(torch.nn.Module):
    """One loss of LOSSES (and its miner) on L2-normalised embeddings. Class weights, proxies
    and centres start at each training person's mean embedding under the starting model,
    so a classification loss does not begin by tearing a pretrained embedding apart."""

    def __init__(self, loss: str, miner: str, class_means: torch.Tensor) -> None:
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose from {sorted(LOSSES)}")
        if miner not in LOSSES[loss]:
            raise ValueError(f"loss {loss!r} takes miner {' / '.join(LOSSES[loss])}, not {miner!r}")
        classes, dim = class_means.shape
        means = torch.nn.functional.normalize(class_means.float(), dim=1)
        self.miner = None
        if loss == "contrastive":
            self.loss = losses.ContrastiveLoss(pos_margin=0.2, neg_margin=0.5)
        elif loss == "triplet":
            self.loss = losses.TripletMarginLoss(margin=0.1)
            self.miner = {"easy": lambda: miners.BatchEasyHardMiner(pos_strategy="easy", neg_strategy="semihard"),
                          "semihard": lambda: miners.TripletMarginMiner(margin=0.1, type_of_triplets="semihard"),
                          "batch_hard": miners.BatchHardMiner}[miner]()
        elif loss == "center":
            self.loss = SoftmaxCenterLoss(classes, dim)
            with torch.no_grad():
                self.loss.centres.copy_(means)
                self.loss.classifier.weight.copy_(means)
                self.loss.classifier.bias.zero_()
        elif loss == "npair":
            self.loss = losses.NPairsLoss()
        elif loss == "angular":
            self.loss = losses.AngularLoss(alpha=40)
        elif loss == "arcface":
            self.loss = losses.ArcFaceLoss(classes, dim, margin=28.6, scale=64)
            with torch.no_grad():
                self.loss.W.copy_(means.T)
        else:
            self.loss = losses.ProxyAnchorLoss(classes, dim, margin=0.1, alpha=32)
            with torch.no_grad():
                self.loss.proxies.copy_(means)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.miner is not None:
            return self.loss(embeddings, labels, self.miner(embeddings, labels))
        return self.loss(embeddings, labels)
