"""Hostile request bodies against a real server: how fast they are refused, and whether the
server's memory grows from them.

    .venv/bin/python -m benchmarks.hostile_bodies [--repeats 7] [--rounds 10]

Starts `facegate serve` (this checkout) and sends, over raw sockets (tests/edge_http.py), a
300 MiB upload without a key (declared with Content-Length, and chunked; and a 100 MiB one,
under the enrolment cap, declared), a 64 MiB chunked
JSON body with a key, and a 150-file enrolment with a key, `--repeats` times each; the
baseline is a tiny valid request (an authenticated GET of one page of people) in the same run.
Then `--rounds` more of all of them, with the server's RSS before and after. Prints JSON:
median milliseconds to the answer, the body bytes the socket took before it, and RSS in MiB.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.door_latency import KEY, start_server
from benchmarks.memory import rss_mb
from tests.edge_http import Answer, length, multipart, send_until_answered, zeros

MiB = 2**20
REPO_ROOT = Path(__file__).resolve().parents[1]
FORM = {"Content-Type": "multipart/form-data; boundary=xyz"}
AUTH = {"Authorization": f"Bearer {KEY}"}
UPLOAD = 300 * MiB
UPLOAD_LENGTH = length(multipart("xyz", 1, UPLOAD))
SMALLER_LENGTH = length(multipart("xyz", 1, UPLOAD // 3))


def requests(url: str) -> dict[str, Callable[[], Answer]]:
    return {
        "baseline_get_people": lambda: send_until_answered(url, "GET", "/v1/people", AUTH, []),
        "no_key_300mib_declared": lambda: send_until_answered(
            url, "POST", "/v1/people", {**FORM, "Content-Length": str(UPLOAD_LENGTH)}, multipart("xyz", 1, UPLOAD)),
        "no_key_100mib_declared": lambda: send_until_answered(  # under the route's cap: only the key refuses it
            url, "POST", "/v1/people", {**FORM, "Content-Length": str(SMALLER_LENGTH)},
            multipart("xyz", 1, UPLOAD // 3)),
        "no_key_300mib_chunked": lambda: send_until_answered(url, "POST", "/v1/people", FORM,
                                                             multipart("xyz", 1, UPLOAD), chunked=True),
        "key_64mib_chunked_json": lambda: send_until_answered(
            url, "POST", "/v1/admin/doors", {**AUTH, "Content-Type": "application/json"}, zeros(64 * MiB),
            chunked=True),
        "key_150_files_of_1mib": lambda: send_until_answered(url, "POST", "/v1/people", {**AUTH, **FORM},
                                                             multipart("xyz", 150, MiB), chunked=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # this checkout's app; failed keys not rate-limited, so every round reaches the edge itself
        process, url = start_server(Path(tmp), {"PYTHONPATH": str(REPO_ROOT),
                                                "FACEGATE_AUTH_FAILURES_PER_MINUTE": "1000000"})
        try:
            sends = requests(url)
            sends["baseline_get_people"]()  # warm the route once
            rss_before = rss_mb(process.pid)
            results = {}
            for name, send in sends.items():
                times, answers = [], []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    answers.append(send())
                    times.append((time.perf_counter() - start) * 1000)
                detail = answers[-1].body.get("detail")
                results[name] = {"status": answers[-1].status,
                                 "reason": detail.get("reason") if isinstance(detail, dict) else detail,
                                 "median_ms": round(statistics.median(times), 1),
                                 "max_body_mib_sent": round(max(a.sent for a in answers) / MiB, 1)}
            rss_after_timing = rss_mb(process.pid)
            for _ in range(args.rounds):
                for send in sends.values():
                    send()
            print(json.dumps({"repeats": args.repeats, "rounds": args.rounds, "requests": results,
                              "server_rss_mib": {"before": rss_before, "after_timing": rss_after_timing,
                                                 "after_rounds": rss_mb(process.pid)}}, indent=2))
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
