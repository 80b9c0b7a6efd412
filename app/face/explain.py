"""Prototype explanations of a decision: which parts of the face made it agree with the template.

Each enrolled template is a prototype of its person and a decision is the nearest one. The map
gives each of level 3's 8x8 cells of the aligned chips (the alignment puts the same part of the
face in the same cell) its pull on the probe-template cosine: gradient x feature, computed by
the card's cell-attribution graph (app/face/cell_attribution.py, exported to ONNX) on ONNX
Runtime, so explanations need no PyTorch either. The per-cell cosine of the two feature vectors
(ProtoPNet's patch similarity) is kept beside it for benchmarks/explanation_masking.py, which
shows why it is not the map shown: masking its top cells moves the distance less than random.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.face.encoder import read_card
from app.face.onnx_backend import session, verified


class ExplanationsUnavailable(RuntimeError):
    """The model card carries no cell-attribution graph (another architecture, or not exported)."""


@dataclass(frozen=True)
class CellMap:
    pull: np.ndarray  # (H, W): each cell's pull on the cosine, probe and template sides summed
    feature_cosine: np.ndarray  # (H, W): cosine of the two chips' feature vectors at each cell
    cosine: float  # of the flip-averaged embeddings, as the decision compared them

    @property
    def distance(self) -> float:
        return float(np.sqrt(max(0.0, 2.0 - 2.0 * self.cosine)))


class CellExplainer:
    """The card's `explain_onnx` graph (sha256 checked), run on a probe and a template chip."""

    def __init__(self, graph_session) -> None:  # noqa: ANN001 - an onnxruntime.InferenceSession
        self._session = graph_session

    @classmethod
    def load(cls, card_path: Path, threads: int = 1) -> "CellExplainer":
        card = read_card(Path(card_path))
        graph = card.get("explain_onnx")
        if not graph:
            raise ExplanationsUnavailable(f"model card {card_path} has no explanation graph "
                                          "(`facegate models export-onnx` writes one for dlib_resnet cards)")
        return cls(session(verified(Path(card_path).parent / graph["file"], graph["sha256"]), threads))

    def explain(self, probe: np.ndarray, template: np.ndarray) -> CellMap:
        """(S, S, 3) uint8 chips -> the cell map of the probe against the template."""
        views = np.stack([probe, template, probe[:, ::-1], template[:, ::-1]])
        batch = np.ascontiguousarray(views.transpose(0, 3, 1, 2), np.float32)
        cells, features, cosine = self._session.run(None, {"input": batch})
        pull = cells[0] + cells[1] + cells[2][:, ::-1] + cells[3][:, ::-1]
        a, b = features[0], features[1]
        feature_cosine = (a * b).sum(0) / np.maximum(np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0), 1e-12)
        return CellMap(pull, feature_cosine, float(cosine[0]))


def _diverging(values: np.ndarray) -> np.ndarray:
    """-1..1 -> RGB uint8: blue (against the match) through white (nothing) to red (for it)."""
    stops = np.array([[40, 70, 200], [255, 255, 255], [210, 30, 30]], np.float64)
    position = (np.clip(values, -1, 1) + 1) * (len(stops) - 1) / 2
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    t = (position - low)[..., None]
    return (stops[low] * (1 - t) + stops[low + 1] * t).astype(np.uint8)


LEGEND_HEIGHT = 46


def _legend(width: int, scale: float) -> np.ndarray:
    """The colour bar under the panels, with what its ends mean."""
    strip = Image.new("RGB", (width, LEGEND_HEIGHT), (255, 255, 255))
    bar = _diverging(np.linspace(-1, 1, width - 20))[None].repeat(10, axis=0)
    strip.paste(Image.fromarray(bar), (10, 4))
    draw, font = ImageDraw.Draw(strip), ImageFont.load_default()
    draw.text((10, 16), f"-{scale:.3f} against", fill=(0, 0, 0), font=font)
    draw.text((width // 2 - 4, 16), "0", fill=(0, 0, 0), font=font)
    draw.text((width - 10, 16), f"for +{scale:.3f}", fill=(0, 0, 0), font=font, anchor="ra")
    draw.text((10, 30), "how much each cell holds the probe to the template (cosine)", fill=(0, 0, 0), font=font)
    return np.asarray(strip)


def render_overlay(probe: np.ndarray, template: np.ndarray, cell_map: CellMap) -> bytes:
    """PNG: the probe crop, the prototype (template) crop, the probe under its cells' pull on the
    cosine (red: the cell made the faces agree, blue: it pushed them apart, scaled to the largest
    pull), and a legend with that scale."""
    size = probe.shape[0]
    scale = float(np.abs(cell_map.pull).max()) or 1.0
    cells = Image.fromarray((cell_map.pull / scale).astype(np.float32), mode="F")
    heat = _diverging(np.asarray(cells.resize((size, size), Image.NEAREST)))
    blended = (0.45 * probe.astype(np.float64) + 0.55 * heat).astype(np.uint8)
    panels = np.concatenate([probe, template, blended], axis=1)
    canvas = np.concatenate([panels, _legend(panels.shape[1], scale)], axis=0)
    out = io.BytesIO()
    Image.fromarray(canvas).save(out, format="PNG")
    return out.getvalue()
