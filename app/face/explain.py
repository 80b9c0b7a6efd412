"""Prototype explanations of a decision: which parts of the face agreed with the template.

Each enrolled template is a prototype of its person and a decision is the nearest one.
As in ProtoPNet's patch similarity, the probe and the prototype are compared cell by cell
on the encoder's convolutional features: the cosine between the two feature vectors at
each spatial cell of the aligned chips (the alignment puts the same part of the face in
the same cell). dlib's ResNet ends on 4x4 and 2x2 grids, too coarse to show parts, so
the map is taken from level 3, the last convolutional stage with a finer grid (8x8 cells
of ~19 px on a 150 px chip). benchmarks/explanation_masking.py checks that it means
something: masking the most-similar cells moves the embedding distance more than masking
random cells of the same area.
"""
from __future__ import annotations

import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from app.face.dlib_resnet import CHANNEL_MEANS, DlibResNet

EXPLAIN_BLOCKS = 10  # features after blocks[:10]: 128 channels, 8x8 cells


def similarity_map(network: DlibResNet, probe: np.ndarray, template: np.ndarray,
                   blocks: int = EXPLAIN_BLOCKS) -> np.ndarray:
    """(S, S, 3) uint8 chips -> (H, W) cosine of the two chips' features at each cell."""
    if not isinstance(network, DlibResNet):
        raise ValueError("similarity maps need the dlib_resnet architecture")
    batch = torch.from_numpy(np.stack([probe, template])).permute(0, 3, 1, 2).float()
    with torch.inference_mode():
        features = network.trunk(batch, blocks)
    return F.cosine_similarity(features[0], features[1], dim=0).numpy()


def cell_boxes(grid: tuple[int, int], size: int) -> list[tuple[int, int, int, int]]:
    """Pixel box (top, left, bottom, right) of each cell, row-major, tiling the chip."""
    rows, cols = grid
    ys = np.linspace(0, size, rows + 1).round().astype(int)
    xs = np.linspace(0, size, cols + 1).round().astype(int)
    return [(ys[r], xs[c], ys[r + 1], xs[c + 1]) for r in range(rows) for c in range(cols)]


def mask_cells(chip: np.ndarray, cells: list[int], grid: tuple[int, int]) -> np.ndarray:
    """The chip with the given cells (row-major indices) filled with the network's mean colour,
    which is zero input after normalisation."""
    out = chip.copy()
    fill = np.asarray(CHANNEL_MEANS).round().astype(np.uint8)
    boxes = cell_boxes(grid, chip.shape[0])
    for cell in cells:
        top, left, bottom, right = boxes[cell]
        out[top:bottom, left:right] = fill
    return out


def _heat_colours(values: np.ndarray) -> np.ndarray:
    """0..1 -> RGB uint8 from dark blue (disagree) through yellow to red (agree)."""
    stops = np.array([[20, 30, 120], [40, 160, 220], [250, 220, 60], [220, 40, 30]], np.float64)
    position = np.clip(values, 0, 1) * (len(stops) - 1)
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    t = (position - low)[..., None]
    return (stops[low] * (1 - t) + stops[low + 1] * t).astype(np.uint8)


def render_overlay(probe: np.ndarray, template: np.ndarray, similarity: np.ndarray) -> bytes:
    """PNG of three panels: the probe crop, the prototype (template) crop, and the probe
    under its per-cell similarity to the prototype (cosine 0 or less = blue, 1 = red)."""
    size = probe.shape[0]
    cells = Image.fromarray(np.clip(similarity, 0, 1).astype(np.float32), mode="F")
    upsampled = np.asarray(cells.resize((size, size), Image.BILINEAR))
    heat = _heat_colours(upsampled)
    blended = (0.5 * probe.astype(np.float64) + 0.5 * heat).astype(np.uint8)
    canvas = np.concatenate([probe, template, blended], axis=1)
    out = io.BytesIO()
    Image.fromarray(canvas).save(out, format="PNG")
    return out.getvalue()
