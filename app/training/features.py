"""Frozen-trunk features of dlib's ResNet, computed once per chip and its mirror.

Fine-tuning only the top of the network (its last residual stage and the 128-d projection)
lets every loss be compared on the same budget on two CPU cores: the trunk below is
frozen, so its output for each chip (and for its horizontal mirror, the one
augmentation) is computed once and cached under var/, and training runs the head alone.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.face.dlib_resnet import DlibResNet

# blocks[13:] is level 5, the last residual stage (one down block, 4x4 -> 2x2 cells); the
# trunk's output is level 4's: 256 channels on a 4x4 grid. Its features are computed on
# top of level 3's (blocks[:10], the grid explanations use), which are cached first.
HEAD_FROM_BLOCK = 13
EARLY_BLOCKS = 10


class Head(nn.Module):
    """The trainable top of a DlibResNet: its own modules (shared, not copied), so training
    the head trains the network and the network's state dict is the fine-tuned model."""

    def __init__(self, network: DlibResNet, from_block: int = HEAD_FROM_BLOCK) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*list(network.blocks)[from_block:])
        self.fc = network.fc

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(features).mean(dim=(2, 3)))


def embed_features(head: Head, features: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(N, 2, C, H, W) features of chips and mirrors -> flip-averaged unit vectors, as Encoder.embed."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(features), batch_size):
            batch = torch.from_numpy(features[start:start + batch_size].astype(np.float32))
            raw = head(batch[:, 0]) + head(batch[:, 1])
            out.append(F.normalize(raw, dim=1).numpy())
    return np.concatenate(out) if out else np.empty((0, head.fc.out_features), np.float32)


def compute_features(network: DlibResNet, chips: np.ndarray, blocks: int = HEAD_FROM_BLOCK,
                     batch_size: int = 32) -> np.ndarray:
    """(N, S, S, 3) uint8 chips -> (N, 2, C, H, W) float16 trunk features of each chip and its mirror."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(chips), batch_size):
            batch = torch.from_numpy(np.array(chips[start:start + batch_size])).permute(0, 3, 1, 2).float()
            both = network.trunk(torch.cat([batch, batch.flip(3)]), blocks)
            out.append(torch.stack([both[:len(batch)], both[len(batch):]], dim=1).half().numpy())
    return np.concatenate(out)


def continue_features(network: DlibResNet, features: np.ndarray, done: int, blocks: int,
                      batch_size: int = 256) -> np.ndarray:
    """Features after `blocks` blocks from features after `done` of them (same layout)."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(features), batch_size):
            x = torch.from_numpy(features[start:start + batch_size].astype(np.float32))
            n = len(x)
            x = x.flatten(0, 1)
            for block in list(network.blocks)[done:blocks]:
                x = block(x)
            out.append(x.unflatten(0, (n, 2)).half().numpy())
    return np.concatenate(out)


def cached_features(network: DlibResNet, model_id: str, chips: np.ndarray, sources: list[str], cache_dir: Path,
                    blocks: int = HEAD_FROM_BLOCK) -> np.ndarray:
    """compute_features, kept in cache_dir under a key of the model, the split point and the photos."""
    key = hashlib.sha256(json.dumps([model_id, blocks, sources]).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"trunk-{model_id}-{blocks}-{key}.npy"
    if path.exists():
        return np.load(path)
    if blocks > EARLY_BLOCKS:
        early = cached_features(network, model_id, chips, sources, cache_dir, EARLY_BLOCKS)
        features = continue_features(network, early, EARLY_BLOCKS, blocks)
    else:
        features = compute_features(network, chips, blocks)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, features)
    return features
