"""A server restart with a large gallery: time to ready and resident memory, cold and warm.

    .venv/bin/python -m benchmarks.restart [--templates 1000000]

Seeds a SQLite database with synthetic 128-d templates, starts `facegate serve` (cold:
the index is built from SQL, then snapshotted), stops it (the snapshot is written again
at shutdown), and starts it once more (warm: snapshot plus change-log replay). Prints
seconds from process start to a 200 from /readyz, and the server's RSS once ready.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from app.core.db import Database
from app.core.migrate import upgrade_database
from app.core.settings import Settings
from app.face.encoder import read_card
from benchmarks.door_latency import start_server
from benchmarks.memory import cpu_seconds, rss_mb
from benchmarks.seed import insert_synthetic_templates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--templates", type=int, default=1_000_000)
    parser.add_argument("--set", nargs="*", default=[], metavar="FACEGATE_X=value",
                        help="server settings (for example FACEGATE_DETECTOR=mtcnn)")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.set)
    model_id = read_card(Settings().model_card)["model_id"]
    vectors = np.random.default_rng(0).standard_normal((args.templates, 128), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/facegate.db"
        upgrade_database(url)
        insert_synthetic_templates(Database(url), vectors, np.arange(args.templates) // 3, model_id)
        del vectors
        for start in ("cold (from SQL)", "warm (from the snapshot)"):
            t = time.perf_counter()
            process, _ = start_server(Path(tmp), extra)
            ready_s = time.perf_counter() - t
            rss, cpu = rss_mb(process.pid), cpu_seconds(process.pid)
            process.terminate()
            process.wait(timeout=120)
            print(json.dumps({"templates": args.templates, "settings": extra, "start": start, "ready_s": round(ready_s, 1), "cpu_s_to_ready": cpu,
                              "server_rss_mb": rss}), flush=True)


if __name__ == "__main__":
    main()
