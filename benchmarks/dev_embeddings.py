"""Analyse each dev photo once through the door pipeline and cache what the rules need.

    .venv/bin/python -m benchmarks.dev_embeddings [--per-person 4] [--max-per-person 6] [--strangers 1500]

Photos go through the same gate as a door photo (the configured model card, ONNX
Runtime) and the cache keeps, per usable photo: the embedding, the detection
probability, the face size and the chip's sharpness, with its data set and identity.
People with >= 4 photos come first (up to 6 photos each: 3 to enrol, the others to probe,
alone or fused as frames), then one photo of each person with fewer (strangers who are
never enrolled). The cache is
written every few hundred photos to var/dev_embeddings.npz, and a rerun continues
where it stopped, so the rule comparisons (benchmarks/open_set.py) and the site
simulation (benchmarks/site_simulation.py) run in seconds.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from app.core.settings import Settings
from app.training.data import data_root

CACHE = Path("var") / "dev_embeddings.npz"
DATASETS = ("lfw-dev", "celeba-dev")
SAVE_EVERY = 200


def planned_photos(per_person: int, max_per_person: int, strangers: int) -> list[tuple[str, str, Path]]:
    """(data set, identity, photo): repeat people first, then one photo per stranger."""
    repeat, single = [], []
    for dataset in DATASETS:
        for folder in sorted((data_root() / dataset).iterdir()):
            if not folder.is_dir():
                continue
            files = sorted(folder.glob("*.jpg"))
            if len(files) >= per_person:
                repeat += [(dataset, folder.name, f) for f in files[:max_per_person]]
            elif files:
                single.append((dataset, folder.name, files[0]))
    rng = np.random.default_rng(0)
    return repeat + [single[i] for i in rng.permutation(len(single))[:strangers]]


def fitting_half(identity: str) -> bool:
    """The half of the identities that may choose rules and thresholds (a salted hash, so it is
    independent of the training split); benchmarks report on the other half."""
    return hashlib.sha256(f"open-set:{identity}".encode()).digest()[0] < 128


def load_cache(path: Path = CACHE) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-person", type=int, default=4)
    parser.add_argument("--max-per-person", type=int, default=6)
    parser.add_argument("--strangers", type=int, default=1500)
    args = parser.parse_args()
    # Imported here: readers of the cache (load_cache, fitting_half) need no torch.
    from app.face.errors import FaceRejected
    from app.face.factory import serving_pipelines

    plan = planned_photos(args.per_person, args.max_per_person, args.strangers)
    done = load_cache() if CACHE.exists() else None
    seen = set(done["path"].tolist()) if done else set()
    rows: dict[str, list] = {k: list(v) for k, v in done.items()} if done else \
        {k: [] for k in ("path", "dataset", "identity", "vector", "probability", "face_px", "sharpness")}
    pipeline = serving_pipelines(Settings(face_workers=1, inference_threads=1))[0]  # exactly the door's
    todo = [p for p in plan if str(p[2]) not in seen]
    for start in range(0, len(todo), 8):
        batch = todo[start:start + 8]
        chips = pipeline.door_chips([p[2].read_bytes() for p in batch])
        usable = [(p, c) for p, c in zip(batch, chips) if not isinstance(c, FaceRejected)]
        vectors = pipeline.embed([c for _, c in usable])
        for ((dataset, identity, path), chip), vector in zip(usable, vectors):
            for key, value in (("path", str(path)), ("dataset", dataset), ("identity", identity),
                               ("vector", vector), ("probability", chip.detection.probability),
                               ("face_px", chip.detection.size), ("sharpness", chip.sharpness)):
                rows[key].append(value)
        if (start // 8) % (SAVE_EVERY // 8) == 0 or start + 8 >= len(todo):
            CACHE.parent.mkdir(exist_ok=True)
            np.savez(CACHE.with_suffix(".tmp.npz"), **{k: np.asarray(v) for k, v in rows.items()})
            CACHE.with_suffix(".tmp.npz").replace(CACHE)
            print(f"{start + len(batch)}/{len(todo)} photos, {len(rows['path'])} usable", flush=True)


if __name__ == "__main__":
    main()
