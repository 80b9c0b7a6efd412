"""End-to-end door latency over real HTTP: uvicorn serving the app in one process, doors in this one.

    .venv/bin/python -m benchmarks.door_latency [--gallery 1000 100000] [--doors 1 4 16]

Each run seeds a fresh SQLite database with synthetic templates, starts `facegate serve`,
enrols 10 real people through the API, then posts 640x480 JPEGs (their other photos and
strangers', letterboxed like a door camera) from concurrent doors. The baseline is the
same server as a newcomer would configure it: facenet-pytorch's MTCNN defaults on the full
photo (min face 20 px, no downscale) and the eager PyTorch encoder; every figure is also
given as a ratio to it. "mtcnn" is the server as it shipped before BlazeFace + O-Net
(MTCNN on ONNX Runtime, FACEGATE_DETECTOR=mtcnn), for before/after figures in one run.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np

from app.core.db import Database
from app.core.migrate import upgrade_database
from app.core.settings import Settings
from app.face.encoder import read_card
from app.training.data import data_root
from benchmarks.frames import letterbox_jpeg
from benchmarks.load import run_doors
from benchmarks.memory import rss_mb
from benchmarks.seed import insert_synthetic_templates

LFW = data_root() / "lfw-dev"
PEOPLE = ["Colin_Powell", "Tony_Blair", "Donald_Rumsfeld", "Gerhard_Schroeder", "Ariel_Sharon", "Hugo_Chavez",
          "Junichiro_Koizumi", "Jean_Chretien", "John_Ashcroft", "Jacques_Chirac"]
STRANGERS = ["Luiz_Inacio_Lula_da_Silva", "Gloria_Macapagal_Arroyo", "Arnold_Schwarzenegger", "Laura_Bush"]
KEY = "bench-admin-key"
FRAME = (640, 480)
CONFIGS = {"ours": {}, "mtcnn": {"FACEGATE_DETECTOR": "mtcnn"},
           "baseline": {"FACEGATE_DETECTOR": "mtcnn", "FACEGATE_MIN_FACE_SIZE": "20", "FACEGATE_DETECT_MAX_SIDE": "100000",
                                    "FACEGATE_INFERENCE_BACKEND": "torch", "FACEGATE_FACE_BATCH_MAX": "1",
                                    "FACEGATE_FACE_WORKERS": "1", "FACEGATE_INFERENCE_THREADS": "2"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, extra_env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "FACEGATE_DATA_DIR": str(data_dir), "FACEGATE_ADMIN_KEY": KEY,
           "FACEGATE_LOG_LEVEL": "WARNING", **extra_env}
    process = subprocess.Popen([str(Path(sys.executable).parent / "facegate"), "serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def http_door(url: str, probes: list[bytes], requests: int, door_id: int) -> Callable[[int], Iterator[float]]:
    """A door terminal posting `requests` photos to /v1/access/verify at `door_id`, one after another."""
    def door(index: int) -> Iterator[float]:
        with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
            for i in range(requests):
                image = probes[(index * 7 + i) % len(probes)]
                start = time.perf_counter()
                response = client.post(f"{url}/v1/access/verify", data={"door_id": door_id},
                                       files={"image": ("door.jpg", image, "image/jpeg")})
                elapsed = (time.perf_counter() - start) * 1000
                response.raise_for_status()
                yield elapsed
    return door


def bench(gallery: int, config: str, doors_list: list[int], per_door: int) -> dict:
    model_id = read_card(Settings().model_card)["model_id"]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        url_db = f"sqlite:///{tmp}/facegate.db"
        upgrade_database(url_db)
        vectors = rng.standard_normal((gallery, 128), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        insert_synthetic_templates(Database(url_db), vectors, np.arange(gallery) // 3, model_id)
        process, url = start_server(Path(tmp), CONFIGS[config])
        try:
            headers = {"Authorization": f"Bearer {KEY}"}
            door = httpx.post(f"{url}/v1/admin/doors", headers=headers, json={"name": "Lobby"}, timeout=30)
            door_id = door.raise_for_status().json()["id"]
            for name in PEOPLE:
                files = [("images", (p.name, p.read_bytes())) for p in sorted((LFW / name).glob("*.jpg"))[:3]]
                httpx.post(f"{url}/v1/people", headers=headers, data={"name": name, "allow_duplicate": "true"},
                           files=files, timeout=120).raise_for_status()
            probes = [letterbox_jpeg(p, FRAME) for name in PEOPLE for p in sorted((LFW / name).glob("*.jpg"))[5:8]]
            probes += [letterbox_jpeg(sorted((LFW / name).glob("*.jpg"))[0], FRAME) for name in STRANGERS]
            run_doors(1, http_door(url, probes, 3, door_id))  # warm-up
            results = {str(d): run_doors(d, http_door(url, probes, max(per_door, 40 // d), door_id))
                       for d in doors_list}
            return {**results, "server_rss_mb": rss_mb(process.pid)}
        finally:
            process.terminate()
            process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gallery", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--doors", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--per-door", type=int, default=8)
    parser.add_argument("--set", nargs="*", default=[], metavar="FACEGATE_X=value",
                        help="extra settings for our server (for example FACEGATE_FACE_BATCH_WAIT_MS=5)")
    args = parser.parse_args()
    CONFIGS["ours"].update(item.split("=", 1) for item in args.set)
    for gallery in args.gallery:
        results = {config: bench(gallery, config, args.doors, args.per_door) for config in CONFIGS}
        for doors in map(str, args.doors):
            ours, base = results["ours"][doors], results["baseline"][doors]
            print(json.dumps({"gallery": gallery, "doors": int(doors), "ours": ours, "mtcnn": results["mtcnn"][doors],
                              "baseline": base,
                              "server_rss_mb": {c: results[c]["server_rss_mb"] for c in CONFIGS},
                              "throughput_ratio": round(ours["per_second"] / base["per_second"], 2),
                              "p50_ratio": round(base["p50_ms"] / ours["p50_ms"], 2),
                              "mtcnn_throughput_ratio": round(results["mtcnn"][doors]["per_second"] / base["per_second"],
                                                              2)}), flush=True)


if __name__ == "__main__":
    main()
