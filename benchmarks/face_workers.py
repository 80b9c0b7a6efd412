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
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from app.core.settings import Settings, usable_cores
from app.face.factory import serving_pipelines
from app.face.worker import FaceWorker
from benchmarks.face_pipeline import door_photos
from benchmarks.load import run_doors


def timed_door(worker: FaceWorker, photos: list[bytes], seconds: float) -> Callable[[int], Iterator[float]]:
    """A door that analyses photos one after another for `seconds`."""
    def door(index: int) -> Iterator[float]:
        stop = time.perf_counter() + seconds
        i = index * 7
        while time.perf_counter() < stop:
            start = time.perf_counter()
            worker.analyze([photos[i % len(photos)]])
            yield (time.perf_counter() - start) * 1000
            i += 1
    return door


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--doors", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    cores = usable_cores()
    photos = door_photos((640, 480), 40)
    layouts = {"1 worker x all cores": (1, cores), "1 worker per core": (cores, 1)}
    results: dict[str, dict[int, dict]] = {}
    with tempfile.TemporaryDirectory() as graphs:
        for name, (workers, threads) in layouts.items():
            settings = Settings(face_workers=workers, inference_threads=threads, onnx_cache_dir=Path(graphs))
            worker = FaceWorker(serving_pipelines(settings), settings.face_batch_max)
            try:
                run_doors(workers, timed_door(worker, photos, 3))  # warm-up
                results[name] = {d: run_doors(d, timed_door(worker, photos, args.seconds)) for d in args.doors}
            finally:
                worker.close()
    base = results["1 worker x all cores"]
    for name, by_doors in results.items():
        for doors, figures in by_doors.items():
            print(json.dumps({"layout": name, "doors": doors, **figures,
                              "throughput_ratio": round(figures["per_second"] / base[doors]["per_second"], 2)}))


if __name__ == "__main__":
    main()
