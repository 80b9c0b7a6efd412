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


def is_validation_identity(identity: str, fraction: float = 0.2) -> bool:
    """A stable hash of the identity decides its side, so the split never depends on
    which other people are present or on the order they are listed in."""
    digest = hashlib.sha256(identity.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_photos(photos: list[Photo], fraction: float = 0.2) -> tuple[list[Photo], list[Photo]]:
    train = [p for p in photos if not is_validation_identity(p.identity, fraction)]
    val = [p for p in photos if is_validation_identity(p.identity, fraction)]
    return train, val


def data_root() -> Path:
    """Where the person-folder data sets live, for tests and benchmarks: FACEGATE_TEST_DATA, default
    ../shared/data (beside the checkout, from its root)."""
    return Path(os.environ.get("FACEGATE_TEST_DATA", "../shared/data")).resolve()
