"""Resumable cache of aligned chips for a folder data set (`facegate prepare-data`).

Detection dominates the cost of training and evaluation, so each photo is detected
and aligned once; the cache records the alignment it was made with and refuses to
mix chips of another geometry.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from app.face.pipeline import FacePipeline
from app.training.data import Photo, list_photos

MANIFEST = "chips.json"


@dataclass(frozen=True)
class ChipSet:
    chips: np.ndarray  # (N, S, S, 3) uint8
    identities: list[str]
    sources: list[str]
    failures: list[str]  # photos where no face was found


def _alignment_key(pipeline: FacePipeline) -> dict:
    align = pipeline.encoder.alignment
    return {"size": align.size, "template": np.round(align.template, 6).tolist()}


def prepare_chips(src: Path, dst: Path, pipeline: FacePipeline, progress: bool = True,
                  keep: Callable[[Photo], bool] | None = None) -> ChipSet:
    """Detect and align every photo of src/<person>/ (those `keep` accepts) into
    dst/<dataset>/<person>/; resumable."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    manifest_path = dst / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    key = _alignment_key(pipeline)
    if manifest.get("alignment", key) != key:
        raise ValueError(f"{dst} holds chips of another alignment; use a new folder")
    manifest["alignment"] = key
    entries: dict[str, str | None] = manifest.setdefault("photos", {})
    photos = [p for p in list_photos(src) if keep is None or keep(p)]
    todo = [p for p in photos if _key(p) not in entries]
    for n, photo in enumerate(tqdm(todo, desc=f"aligning {src.name}", disable=not progress)):
        entries[_key(photo)] = _prepare_one(photo, dst, pipeline)
        if n % 200 == 199:
            manifest_path.write_text(json.dumps(manifest))
    manifest_path.write_text(json.dumps(manifest))
    return load_chips(dst, photos)


def _key(photo: Photo) -> str:
    """Photos are named relative to the data-set root, so a cache works from any working directory."""
    return f"{photo.path.parent.name}/{photo.path.name}"


def _prepare_one(photo: Photo, dst: Path, pipeline: FacePipeline) -> str | None:
    with Image.open(photo.path) as raw:
        face = pipeline.training_chip(raw.convert("RGB"))
    if face is None:
        return None
    out = dst / photo.identity / (photo.path.stem + ".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(face.chip).save(out)
    return str(out.relative_to(dst))


def load_chips(dst: Path, photos: list[Photo]) -> ChipSet:
    entries = json.loads((Path(dst) / MANIFEST).read_text())["photos"]
    chips, identities, sources, failures = [], [], [], []
    for photo in photos:
        rel = entries.get(_key(photo))
        if rel is None:
            failures.append(str(photo.path))
            continue
        chips.append(np.asarray(Image.open(Path(dst) / rel).convert("RGB")))
        identities.append(photo.identity)
        sources.append(str(photo.path))
    stacked = np.stack(chips) if chips else np.empty((0, 1, 1, 3), np.uint8)
    return ChipSet(stacked, identities, sources, failures)


def load_cached(src: Path, dst: Path) -> ChipSet:
    """The chips of src's photos that dst's cache has aligned (whatever prepare-data was asked for)."""
    entries = json.loads((Path(dst) / MANIFEST).read_text())["photos"]
    return load_chips(dst, [p for p in list_photos(src) if _key(p) in entries])
