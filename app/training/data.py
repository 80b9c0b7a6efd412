"""Folder data sets (one folder per person) and the identity-disjoint train/validation split."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass(frozen=True)
class Photo:
    path: Path
    identity: str  # "<dataset>/<person folder>", unique across data sets


def identity_of(path: Path) -> str:
    """The identity a photo at <dataset>/<person folder>/<file> belongs to."""
    return f"{path.parent.parent.name}/{path.parent.name}"


def list_photos(root: Path) -> list[Photo]:
    """Every image under root/<person>/, sorted for reproducibility."""
    root = Path(root)
    photos = []
    for person in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(person.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                photos.append(Photo(path, identity_of(path)))
    return photos


def capped_photos(photos: list[Photo], min_photos: int = 1, max_photos: int | None = None) -> list[Photo]:
    """People with at least min_photos photos, each cut to their first max_photos (sorted) ones:
    a cheaper chip cache where a few people hold hundreds of photos and most hold one."""
    by_person: dict[str, list[Photo]] = {}
    for photo in photos:
        by_person.setdefault(photo.identity, []).append(photo)
    return [p for group in by_person.values() if len(group) >= min_photos for p in group[:max_photos]]


def is_validation_identity(identity: str, fraction: float = 0.2) -> bool:
    """A stable hash of the identity decides its side, so the split never depends on
    which other people are present or on the order they are listed in."""
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big") / 2**64 < fraction


# Three-way split by the same hash: people whose hash fraction falls below a bound belong to
# that side. "report" is exactly the validation side above (the people the model card's
# held-out figures come from); "select" chooses epochs and settings; the rest train.
IDENTITY_SPLITS = (("report", 0.2), ("select", 0.3), ("train", 1.0))


def identity_split(identity: str) -> str:
    """train / select / report for one identity, stable across runs and data-set contents."""
    fraction = int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big") / 2**64
    return next(name for name, bound in IDENTITY_SPLITS if fraction < bound)


def split_photos(photos: list[Photo], fraction: float = 0.2) -> tuple[list[Photo], list[Photo]]:
    train = [p for p in photos if not is_validation_identity(p.identity, fraction)]
    val = [p for p in photos if is_validation_identity(p.identity, fraction)]
    return train, val


def data_root() -> Path:
    """Where the person-folder data sets live, for tests and benchmarks: FACEGATE_TEST_DATA, default
    ../shared/data (beside the checkout, from its root)."""
    return Path(os.environ.get("FACEGATE_TEST_DATA", "../shared/data")).resolve()
