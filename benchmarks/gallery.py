"""Gallery at scale: search latency, recall@1 against exact search, add/remove, start-up, memory.

    .venv/bin/python -m benchmarks.gallery [--sizes 10000 100000 1000000] [--startup]

Each size runs in its own process (clean resident-memory figures). Vectors are unit
128-d (the model's dimension): synthetic ones for size, plus real embeddings of held-out
LFW photos (if var/chips/lfw-dev-150 exists, see `facegate prepare-data`) mixed in, probed
with other photos of the same people, to check recall on real structure. Queries are
genuine-like: a gallery vector's person seen again, not random points.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from app.core.settings import Settings
from benchmarks.memory import rss_mb

ROOT = Path(__file__).resolve().parents[1]  # the checkout, for running this module again
DIM = 128


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def real_embeddings() -> tuple[np.ndarray, np.ndarray] | None:
    """Flip-averaged embeddings of held-out LFW chips: (vectors, person labels)."""
    from app.face.encoder import Encoder
    from app.training.chips import load_chips
    from app.training.data import data_root, list_photos
    from app.training.splits import select_split

    cache = Path("var") / "chips" / "lfw-dev-150"
    if not (cache / "chips.json").exists():
        return None
    chips = select_split(load_chips(cache, list_photos(data_root() / "lfw-dev")), "val", 2)
    encoder = Encoder.load(Settings().model_card)
    return encoder.embed(chips.chips), np.unique(chips.identities, return_inverse=True)[1]


def run_one(size: int, startup: bool) -> dict:
    import faiss

    from app.gallery.index import Gallery

    rng = np.random.default_rng(0)
    real = real_embeddings()
    synthetic = unit(rng.standard_normal((size, DIM), dtype=np.float32))
    persons = np.arange(size) // 3
    queries = []
    if real is not None:  # real people: the first photo of each enrolled, the second used as probe
        vectors, labels = real
        first = {}
        for i, label in enumerate(labels):
            first.setdefault(label, []).append(i)
        pairs = [(v[0], v[1]) for v in first.values() if len(v) >= 2][:200]
        for slot, (enrolled, probe) in enumerate(pairs):
            synthetic[slot] = vectors[enrolled]
            persons[slot] = -1 - slot
            queries.append(vectors[probe])
    n_real = len(queries)
    picks = rng.choice(np.arange(n_real, size), 300, replace=False)
    noisy = unit(synthetic[picks] + 0.03 * rng.standard_normal((300, DIM), dtype=np.float32))
    queries = np.concatenate([np.asarray(queries, np.float32).reshape(-1, DIM), noisy])
    base_rss = rss_mb()  # inputs exist already: what follows is the gallery's own memory
    gallery = Gallery(DIM, exact_max=Settings().gallery_exact_max, nprobe=Settings().gallery_nprobe)
    t = time.perf_counter()
    gallery.add(list(range(1, size + 1)), persons.tolist(), synthetic)
    build_s = time.perf_counter() - t
    gallery_rss = rss_mb() - base_rss
    index_mb = faiss.serialize_index(gallery._index).nbytes / 2**20  # noqa: SLF001
    kind = gallery.kind
    exact = faiss.IndexFlatIP(DIM)
    exact.add(synthetic)
    _, truth = exact.search(queries, 1)
    latencies, hits = [], []
    for q, want in zip(queries, truth[:, 0]):
        t = time.perf_counter()
        match = gallery.nearest_people(q, people=1)[0]
        latencies.append((time.perf_counter() - t) * 1000)
        hits.append(match.template_id == want + 1)
    sweep = {}
    if kind != "exact":  # recall and latency for other nprobe values
        for nprobe in (8, 16, 32, 64):
            gallery._index.nprobe = nprobe  # noqa: SLF001 - a benchmark may look inside
            t = time.perf_counter()
            found = [gallery.nearest_people(q, people=1)[0].template_id for q in queries]
            sweep[nprobe] = {"recall_at_1": round(float(np.mean(np.asarray(found) == truth[:, 0] + 1)), 4),
                             "ms_per_query": round((time.perf_counter() - t) * 1000 / len(queries), 3)}
        gallery._index.nprobe = gallery.nprobe  # noqa: SLF001
    exact_ms = []
    for q in queries[:50]:
        t = time.perf_counter()
        exact.search(q[None], 1)
        exact_ms.append((time.perf_counter() - t) * 1000)
    add_ms, remove_ms = [], []
    for i in range(50):
        v = unit(rng.standard_normal((1, DIM), dtype=np.float32))
        t = time.perf_counter()
        gallery.add([size + 10 + i], [10**9 + i], v)
        add_ms.append((time.perf_counter() - t) * 1000)
    for i in range(50):
        t = time.perf_counter()
        gallery.remove([size + 10 + i])
        remove_ms.append((time.perf_counter() - t) * 1000)
    del exact
    result = {
        "size": size, "kind": kind, "build_s": round(build_s, 2),
        "search_median_ms": round(statistics.median(latencies), 3),
        "search_p95_ms": round(float(np.percentile(latencies, 95)), 3),
        "exact_search_median_ms": round(statistics.median(exact_ms), 3),
        "recall_at_1_real": round(float(np.mean(hits[:n_real])), 4) if n_real else None, "real_queries": n_real,
        "recall_at_1_synthetic": round(float(np.mean(hits[n_real:])), 4),
        "add_median_ms": round(statistics.median(add_ms), 3), "remove_median_ms": round(statistics.median(remove_ms), 3),
        "rss_mb_gallery": round(gallery_rss, 1), "index_mb": round(index_mb, 1), "nprobe_sweep": sweep,
    }
    result["rss_mb_process"] = round(rss_mb(), 1)
    if startup:
        result.update(startup_times(synthetic, persons))
    return result


def startup_times(vectors: np.ndarray, persons: np.ndarray) -> dict[str, float]:
    """Seconds for a replica to fill its index from a SQLite file holding these templates,
    and from the index snapshot it wrote (what a restart with nothing changed does)."""
    from app.core.db import Database
    from app.core.migrate import upgrade_database
    from app.gallery.index import Gallery
    from app.gallery.sync import GallerySync
    from benchmarks.seed import insert_synthetic_templates

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade_database(url)
        db = Database(url)
        insert_synthetic_templates(db, vectors, persons, "m")
        settings = Settings()
        times = {}
        snapshot = Path(tmp) / "snapshot.npz"
        for source in ("sql", "snapshot"):
            sync = GallerySync(db, Gallery(DIM, settings.gallery_exact_max, settings.gallery_nprobe), "m")
            t = time.perf_counter()
            assert sync.load(snapshot) == source
            times[f"startup_from_{source}_s"] = round(time.perf_counter() - t, 2)
            if source == "sql":
                sync.save(snapshot)
        times["snapshot_mb"] = round(snapshot.stat().st_size / 2**20, 1)
        return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--startup", action="store_true", help="also time the rebuild from SQLite")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.startup)))
        return
    for size in args.sizes:
        cmd = [sys.executable, "-m", "benchmarks.gallery", "--one", str(size)] + (["--startup"] if args.startup else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
        print(out.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
