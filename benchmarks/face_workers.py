"""Face workers: one using both cores, or one per core? Photos per second through FaceWorker.

    .venv/bin/python -m benchmarks.face_workers [--seconds 20]

Door frames (640x480 JPEGs of held-out CelebA photos) are analysed (decode, detect, align,
encode) by the service's FaceWorker, fed by 1, 4 and 16 "doors" that each send their next
photo as soon as the last is answered. No HTTP, no gallery: the face work alone, which is
what bounds a door's throughput (benchmarks/door_latency.py has the end-to-end figures).
Prints medians, p95 and photos/s per layout, and the ratio against one worker on all cores.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from app.core.settings import Settings
from app.face.factory import serving_pipelines
from app.face.worker import FaceWorker
from benchmarks.face_pipeline import door_photos


def run_doors(worker: FaceWorker, photos: list[bytes], doors: int, seconds: float) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def door(offset: int) -> None:
        i = offset
        while time.perf_counter() < stop:
            start = time.perf_counter()
            worker.analyze([photos[i % len(photos)]])
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)
            i += 1

    threads = [threading.Thread(target=door, args=(d * 7,)) for d in range(doors)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(float(np.percentile(latencies, 95)), 1),
            "per_second": round(len(latencies) / wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--doors", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    photos = door_photos((640, 480), 40)
    layouts = {"1 worker x all cores": (1, cores), "1 worker per core": (cores, 1)}
    results: dict[str, dict[int, dict]] = {}
    with tempfile.TemporaryDirectory() as graphs:
        for name, (workers, threads) in layouts.items():
            settings = Settings(face_workers=workers, inference_threads=threads, onnx_cache_dir=Path(graphs))
            worker = FaceWorker(serving_pipelines(settings), settings.face_batch_max)
            try:
                run_doors(worker, photos, workers, 3)  # warm-up
                results[name] = {d: run_doors(worker, photos, d, args.seconds) for d in args.doors}
            finally:
                worker.close()
    base = results["1 worker x all cores"]
    for name, by_doors in results.items():
        for doors, figures in by_doors.items():
            print(json.dumps({"layout": name, "doors": doors, **figures,
                              "throughput_ratio": round(figures["per_second"] / base[doors]["per_second"], 2)}))


if __name__ == "__main__":
    main()
