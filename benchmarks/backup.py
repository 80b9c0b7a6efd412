"""Time and peak memory of backup and restore as the gallery grows.

    .venv/bin/python -m benchmarks.backup [--templates 3000 30000]

Synthetic templates on SQLite, each with a 30 KB crop (about what an aligned PNG takes),
backed up to a file and restored into a second database. Peak memory is the process's
maximum resident set, which streaming should keep flat as the gallery grows.
"""
from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import update

from app.backup import backup, restore
from app.core.db import Database
from app.core.migrate import upgrade_database
from app.gallery.models import FaceTemplate
from benchmarks.memory import rss_mb
from benchmarks.seed import insert_synthetic_templates

CROP_BYTES = 30_000


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(templates: int, folder: Path) -> dict:
    source = Database(f"sqlite:///{folder}/source.db")
    upgrade_database(source.url)
    rng = np.random.default_rng(0)
    insert_synthetic_templates(source, rng.standard_normal((templates, 128), dtype=np.float32),
                               np.arange(templates) // 3, "synthetic")
    with source.engine.begin() as conn:
        conn.execute(update(FaceTemplate).values(chip_png=rng.integers(0, 256, CROP_BYTES, np.uint8).tobytes()))
    before = rss_mb()
    start = time.perf_counter()
    backup(source, folder / "backup.jsonl.gz")
    backup_s, backup_peak = time.perf_counter() - start, peak_mb()
    target = Database(f"sqlite:///{folder}/target.db")
    upgrade_database(target.url)
    start = time.perf_counter()
    restore(target, folder / "backup.jsonl.gz")
    return {"templates": templates, "rss_before_mb": before, "backup_s": round(backup_s, 1),
            "peak_after_backup_mb": backup_peak, "restore_s": round(time.perf_counter() - start, 1),
            "peak_after_restore_mb": peak_mb(),
            "file_mb": round((folder / "backup.jsonl.gz").stat().st_size / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--templates", type=int, nargs="+", default=[3000, 30_000])
    args = parser.parse_args()
    for templates in args.templates:  # the peak only grows, so the smaller gallery goes first
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(run(templates, Path(folder))), flush=True)


if __name__ == "__main__":
    main()
