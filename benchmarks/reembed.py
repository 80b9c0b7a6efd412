"""Re-embedding a gallery enrolled with v1 into v2 from its loose crops, and the upgrade report.

    .venv/bin/python -m benchmarks.reembed [--people 70] [--data lfw-dev]

Starts `facegate serve` with the v1 card on a fresh SQLite database, enrols N people x 3 real
photos of one data set (the first N people with at least 3) through the API, stops it, then runs `facegate models reembed
--model dlib-resnet-mtcnn-v2` and prints its JSON (templates re-embedded, seconds, the report)
with the command's whole wall time beside it (process start and model load included).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.door_latency import KEY, start_server
from app.training.data import data_root

MODELS = Path(__file__).resolve().parents[1] / "models"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=70)
    parser.add_argument("--data", default="lfw-dev", help="a person-folder data set under the data root")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"FACEGATE_MODEL_CARD": str(MODELS / "dlib-resnet-mtcnn-v1.json")}
        process, url = start_server(Path(tmp), env)
        try:
            with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=300) as client:
                folders = [sorted(f.glob("*.jpg"))[:3] for f in sorted((data_root() / args.data).iterdir())]
                for number, photos in enumerate([p for p in folders if len(p) == 3][:args.people]):
                    client.post(f"{url}/v1/people", data={"name": f"{photos[0].parent.name} #{number}",
                                                          "allow_duplicate": "true"},
                                files=[("images", (p.name, p.read_bytes(), "image/jpeg")) for p in photos])
        finally:
            process.terminate()
            process.wait()
        start = time.perf_counter()
        done = subprocess.run([str(Path(sys.executable).parent / "facegate"), "models", "reembed", "--model",
                               "dlib-resnet-mtcnn-v2"], env={**os.environ, "FACEGATE_DATA_DIR": tmp, **env},
                              capture_output=True, text=True, check=True)
        result = json.loads(done.stdout)
        print(json.dumps({"data": args.data, "people": args.people, "command_seconds": round(time.perf_counter() - start, 1),
                          **result}, indent=1))


if __name__ == "__main__":
    main()
