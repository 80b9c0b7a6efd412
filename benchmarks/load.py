"""Closed-loop door load: each door sends its next request as soon as the last is answered."""
from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np


def run_doors(doors: int, door: Callable[[int], Iterator[float]]) -> dict:
    """Run `door(index)` on `doors` threads at once; it yields each request's latency in ms.
    Median, p95, requests per second and how many were made."""
    latencies: list[float] = []
    lock = threading.Lock()

    def drain(index: int) -> None:
        for ms in door(index):
            with lock:
                latencies.append(ms)

    threads = [threading.Thread(target=drain, args=(d,)) for d in range(doors)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(float(np.percentile(latencies, 95)), 1),
            "per_second": round(len(latencies) / wall, 2), "requests": len(latencies)}
