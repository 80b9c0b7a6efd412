"""Time and peak memory of threshold calibration as the gallery grows.

    .venv/bin/python -m benchmarks.calibration [--templates 1000 10000 100000]

Synthetic galleries of 128-d unit vectors, three templates per person scattered around a
person's centre. Peak memory is what numpy allocates during calibration (tracemalloc),
beside what one N x N float64 distance matrix alone would take.
"""
from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

from app.admin.calibration import CalibrationData, calibrate

PER_PERSON = 3


def synthetic_gallery(templates: int, dim: int = 128, seed: int = 0) -> CalibrationData:
    rng = np.random.default_rng(seed)
    people = templates // PER_PERSON
    centres = rng.standard_normal((people, dim), dtype=np.float32)
    vectors = np.repeat(centres, PER_PERSON, axis=0) + 0.8 * rng.standard_normal((people * PER_PERSON, dim),
                                                                                  dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return CalibrationData(np.repeat(np.arange(people), PER_PERSON), vectors, np.empty(0), np.empty(0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--templates", type=int, nargs="+", default=[1000, 10_000, 100_000])
    args = parser.parse_args()
    for templates in args.templates:
        data = synthetic_gallery(templates)
        seconds, peaks = [], []
        for _ in range(3):
            tracemalloc.start()
            start = time.perf_counter()
            result = calibrate(data, 1e-3, face_only=True)
            seconds.append(time.perf_counter() - start)
            peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
        print(json.dumps({"templates": templates, "median_s": round(float(np.median(seconds)), 2),
                          "peak_mb": round(max(peaks), 1),
                          "full_distance_matrix_mb": round(templates**2 * 8 / 2**20, 1),
                          "counts": result["counts"]}))


if __name__ == "__main__":
    main()
