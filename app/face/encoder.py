"""A trained encoder loaded from models/: aligned chips in, unit-length float32 vectors out."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from app.face.networks import ARCHITECTURES, build_network


@dataclass(frozen=True)
class Alignment:
    """Where the five MTCNN landmarks go in the chip, as fractions of its side."""

    size: int
    template: np.ndarray  # (5, 2)

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> "Alignment":
        spec = card["alignment"]
        return cls(int(spec["size"]), np.asarray(spec["template"], np.float64))


class Encoder:
    def __init__(self, card: dict[str, Any], network: torch.nn.Module) -> None:
        self.card = card
        self.model_id: str = card["model_id"]
        self.architecture = ARCHITECTURES[card["architecture"]]
        self.alignment = Alignment.from_card(card)
        # Averaging a face with its mirror image cancels some landmark and pose noise.
        self.flip_average = bool(card.get("flip_average", False))
        self.network = network.eval()
        self.backend = "torch"
        self._forward: Callable[[torch.Tensor], torch.Tensor] = self.network

    @classmethod
    def load(cls, card_path: Path) -> "Encoder":
        """Load a model card and the weights file it names (relative to the card)."""
        card_path = Path(card_path)
        if not card_path.is_file():
            raise FileNotFoundError(f"model card {card_path} does not exist")
        card = json.loads(card_path.read_text())
        network = build_network(card["architecture"])
        state = torch.load(card_path.parent / card["weights"], map_location="cpu", weights_only=True)
        network.load_state_dict({k: v.float() for k, v in state.items()})
        return cls(card, network)

    @classmethod
    def fresh(cls, card: dict[str, Any], pretrained: str | None = None) -> "Encoder":
        """An encoder whose weights come from the architecture itself (random, or downloaded)."""
        return cls(card, build_network(card["architecture"], pretrained))

    def use_onnx(self, cache_dir: Path, threads: int) -> None:
        """Serve inference from ONNX Runtime (checked for parity against this network)."""
        from app.face.onnx_backend import onnx_forward

        self._forward = onnx_forward(self.network, self.alignment.size, cache_dir, threads)
        self.backend = "onnx"

    @property
    def dim(self) -> int:
        return self.architecture.embedding_dim

    @property
    def recommended_threshold(self) -> float:
        return float(self.card["recommended_threshold"])

    def embed(self, chips: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """(N, S, S, 3) uint8 chips -> (N, D) float32 unit vectors."""
        out = np.empty((len(chips), self.dim), np.float32)
        with torch.inference_mode():
            for start in range(0, len(chips), batch_size):
                batch = torch.from_numpy(np.array(chips[start:start + batch_size]))  # writable copy
                batch = batch.permute(0, 3, 1, 2).float()
                if self.flip_average:
                    both = self._forward(torch.cat([batch, batch.flip(3)]))
                    raw = both[:len(batch)] + both[len(batch):]
                else:
                    raw = self._forward(batch)
                out[start:start + len(batch)] = F.normalize(raw, dim=1).numpy()
        return out
