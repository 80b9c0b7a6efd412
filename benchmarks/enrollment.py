"""Bulk enrolment through the API: N people x 3 real photos, from a few concurrent clerks.

    .venv/bin/python -m benchmarks.enrollment [--people 1000] [--clients 4]

Starts `facegate serve` on a fresh SQLite database and posts one POST /v1/people per
person (LFW and CelebA dev photos as they are: 250x250 and 178x218). The import sends
allow_duplicate=true, as a trusted HR roster would, unless --check-duplicates: then the
duplicate check runs (its own threshold, app/people/integrity.py) and the refusals are
counted by reason (false duplicate refusals of distinct newcomers). People with fewer than 3 photos are skipped; when the data sets hold fewer
people than asked, the list starts over. Prints total time, enrolments per second and
the p50/p95 of one enrolment.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

from app.training.data import data_root
from benchmarks.door_latency import KEY, start_server
from benchmarks.memory import rss_mb

DATA = data_root()


def people_with_photos(count: int, per_person: int = 3) -> list[list[Path]]:
    everyone = [sorted(folder.glob("*.jpg"))[:per_person]
                for dataset in ("lfw-dev", "celeba-dev") for folder in sorted((DATA / dataset).iterdir())]
    everyone = [photos for photos in everyone if len(photos) == per_person]
    return [everyone[i % len(everyone)] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--check-duplicates", action="store_true",
                        help="send no allow_duplicate and count the refusals by reason (distinct newcomers)")
    args = parser.parse_args()
    form = {} if args.check_duplicates else {"allow_duplicate": "true"}
    refusals: Counter[str] = Counter()
    queue = list(enumerate(people_with_photos(args.people)))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def clerk(url: str) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=300) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    number, photos = queue.pop()
                files = [("images", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
                start = time.perf_counter()
                response = client.post(f"{url}/v1/people", data={"name": f"{photos[0].parent.name} #{number}",
                                                                  **form},
                                       files=files)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status_code] += 1
                    if response.status_code >= 400:
                        refusals[response.json()["detail"]["reason"]] += 1

    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(Path(tmp), {})
        try:
            start = time.perf_counter()
            clerks = [threading.Thread(target=clerk, args=(url,)) for _ in range(args.clients)]
            for thread in clerks:
                thread.start()
            for thread in clerks:
                thread.join()
            wall = time.perf_counter() - start
            rss = rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)
    print(json.dumps({"people": args.people, "photos": 3 * args.people, "clients": args.clients,
                      "total_s": round(wall, 1), "people_per_s": round(args.people / wall, 2),
                      "p50_ms": round(statistics.median(latencies), 1),
                      "p95_ms": round(float(np.percentile(latencies, 95)), 1),
                      "status_counts": dict(statuses), "refusals": dict(refusals), "server_rss_mb": rss}))


if __name__ == "__main__":
    main()
