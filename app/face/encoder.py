"""A trained encoder loaded from models/: aligned chips in, unit-length float32 vectors out."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.face.onnx_backend import session, verified

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Alignment:
    """Where the five MTCNN landmarks go in the chip, as fractions of its side."""

    size: int
    template: np.ndarray  # (5, 2)

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> "Alignment":
        spec = card["alignment"]
        return cls(int(spec["size"]), np.asarray(spec["template"], np.float64))


Forward = Callable[[np.ndarray], np.ndarray]  # (N, 3, S, S) float32 0..255 -> (N, D) raw embeddings


def _torch_forward(network: "torch.nn.Module") -> Forward:
    import torch

    def forward(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return network(torch.from_numpy(batch)).numpy()

    return forward


def read_card(card_path: Path) -> dict[str, Any]:
    card_path = Path(card_path)
    if not card_path.is_file():
        raise FileNotFoundError(f"model card {card_path} does not exist")
    return json.loads(card_path.read_text())


def find_card(name: str | Path, directory: Path) -> Path | None:
    """A model card by path, or by model id among the cards in `directory` (file name first)."""
    path = Path(name)
    if path.suffix == ".json" and path.is_file():
        return path
    named = directory / f"{name}.json"
    if named.is_file() and read_card(named).get("model_id") == str(name):
        return named
    for candidate in sorted(directory.glob("*.json")):
        try:
            if json.loads(candidate.read_text()).get("model_id") == str(name):
                return candidate
        except (ValueError, OSError):
            continue
    return None


class Encoder:
    """Runs on ONNX Runtime from the card's committed graph (serving: no PyTorch), or on the torch
    network (training, evaluation, parity checks)."""

    def __init__(self, card: dict[str, Any], network: "torch.nn.Module | None" = None,
                 forward: Forward | None = None) -> None:
        self.card = card
        self.model_id: str = card["model_id"]
        self.alignment = Alignment.from_card(card)
        self._dim = int(card["embedding_dim"])
        # Averaging a face with its mirror image cancels some landmark and pose noise.
        self.flip_average = bool(card.get("flip_average", False))
        self.network = network.eval() if network is not None else None
        self.backend = "torch" if forward is None else "onnx"
        self._forward: Forward = forward or _torch_forward(self.network)

    @classmethod
    def load(cls, card_path: Path) -> "Encoder":
        """Load a model card and the torch weights file it names (relative to the card)."""
        import torch

        from app.face.networks import build_network

        card_path = Path(card_path)
        card = read_card(card_path)
        network = build_network(card["architecture"])
        state = torch.load(card_path.parent / card["weights"], map_location="cpu", weights_only=True)
        network.load_state_dict({k: v.float() for k, v in state.items()})
        return cls(card, network)

    @classmethod
    def load_onnx(cls, card_path: Path, threads: int = 1) -> "Encoder":
        """Load a model card and its committed ONNX graph (sha256 checked); PyTorch is not imported."""
        card_path = Path(card_path)
        card = read_card(card_path)
        graph = card.get("onnx")
        if not graph:
            raise FileNotFoundError(f"model card {card_path} names no ONNX graph; "
                                    "`facegate models export-onnx --card` writes one")
        graph_session = session(verified(card_path.parent / graph["file"], graph["sha256"]), threads)
        return cls(card, forward=lambda batch: graph_session.run(None, {"input": batch})[0])

    @classmethod
    def fresh(cls, card: dict[str, Any], pretrained: str | None = None) -> "Encoder":
        """An encoder whose weights come from the architecture itself (random, or downloaded)."""
        from app.face.networks import build_network

        return cls(card, build_network(card["architecture"], pretrained))

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def recommended_threshold(self) -> float:
        return float(self.card["recommended_threshold"])

    def embed(self, chips: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """(N, S, S, 3) uint8 chips -> (N, D) float32 unit vectors."""
        out = np.empty((len(chips), self.dim), np.float32)
        for start in range(0, len(chips), batch_size):
            batch = np.ascontiguousarray(np.asarray(chips[start:start + batch_size]).transpose(0, 3, 1, 2),
                                         np.float32)
            if self.flip_average:
                both = self._forward(np.concatenate([batch, batch[..., ::-1]]))
                raw = both[:len(batch)] + both[len(batch):]
            else:
                raw = self._forward(batch)
            out[start:start + len(batch)] = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
        return out
