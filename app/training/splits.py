"""Chip sets for one side of the identity-disjoint split of one or more data sets."""
from __future__ import annotations

from pathlib import Path

from app.face.pipeline import FacePipeline
from app.training.chips import ChipSet, prepare_chips
from app.training.data import identity_of, is_validation_identity

SPLITS = ("all", "train", "val")


def select_split(chips: ChipSet, split: str, min_photos: int = 1) -> ChipSet:
    """Keep one side of the split, and only people with at least min_photos chips."""
    keep_val = {"train": False, "val": True}.get(split)
    counts: dict[str, int] = {}
    for identity in chips.identities:
        counts[identity] = counts.get(identity, 0) + 1
    rows = [i for i, identity in enumerate(chips.identities)
            if (keep_val is None or is_validation_identity(identity) == keep_val) and counts[identity] >= min_photos]
    failures = [f for f in chips.failures
                if keep_val is None or is_validation_identity(identity_of(Path(f))) == keep_val]
    return ChipSet(chips.chips[rows], [chips.identities[i] for i in rows], [chips.sources[i] for i in rows],
                   failures)


def load_split(data: Path, cache_root: Path, pipeline: FacePipeline, split: str, min_photos: int = 1,
               progress: bool = True) -> ChipSet:
    """Chips of data/<person>/ (aligned once into cache_root/<data name>-<chip size>), one side of the split."""
    folder = Path(cache_root) / f"{Path(data).name}-{pipeline.encoder.alignment.size}"
    keep_val = {"train": False, "val": True}.get(split)
    keep = None if keep_val is None else (lambda photo: is_validation_identity(photo.identity) == keep_val)
    chips = prepare_chips(data, folder, pipeline, progress=progress, keep=keep)
    return select_split(chips, split, min_photos)
