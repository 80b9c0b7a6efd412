"""Two real server processes on one database: writes through one are seen by the other.

Replica A is started by the container entrypoint script (docker/entrypoint.sh, run without
Docker), replica B by `facegate serve`; both talk real HTTP on loopback ports.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.helpers import ADMIN, photos, read, server, server_door


def _verify(url: str, image: bytes) -> dict:
    response = httpx.post(f"{url}/v1/access/verify", headers=ADMIN, files={"image": ("p.jpg", image)},
                          data={"door_id": server_door(url)}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _within(seconds: float, check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_two_replicas_stay_in_step(database_url: str, tmp_path: Path) -> None:
    probe = read(photos("Colin_Powell")[6])
    shared = {"FACEGATE_SECRET_FILE": str(tmp_path / "server-secret"),  # replicas share the secret and data keys
              "FACEGATE_DATA_KEY_FILE": str(tmp_path / "data-keys.json")}
    with server(database_url, tmp_path / "a", via_entrypoint=True, **shared) as (a, _), \
            server(database_url, tmp_path / "b", via_entrypoint=False, **shared) as (b, _):
        files = [("images", (p.name, read(p))) for p in photos("Colin_Powell")[:3]]
        enrolled = httpx.post(f"{a}/v1/people", headers=ADMIN, data={"name": "Alice"}, files=files, timeout=60)
        assert enrolled.status_code == 201, enrolled.text
        person_id = enrolled.json()["person"]["id"]
        assert _within(2.0, lambda: _verify(b, probe)["decision"] == "admit")
        assert httpx.delete(f"{b}/v1/people/{person_id}", headers=ADMIN, timeout=30).status_code == 204
        assert _within(2.0, lambda: _verify(a, probe)["decision"] == "reject")
        httpx.post(f"{b}/v1/people", headers=ADMIN, data={"name": "Bob"}, timeout=60,
                   files=[("images", (p.name, read(p))) for p in photos("Tony_Blair")[:3]]).raise_for_status()
        bob_probe = read(photos("Tony_Blair")[6])
        assert _within(2.0, lambda: _verify(a, bob_probe)["decision"] == "admit")
        ready = httpx.get(f"{a}/readyz").json()
        assert ready["index_revision"] == ready["database_revision"] == 9 and ready["templates"] == 3
    with server(database_url, tmp_path / "a", via_entrypoint=True) as (a, _):  # restart: same decisions
        assert _verify(a, probe)["decision"] == "reject"
        assert _verify(a, bob_probe)["decision"] == "admit"


def _wait_received(url: str, count: int, timeout: float = 60) -> None:
    """Until the server has taken `count` verifications: answered or being answered (besides /metrics itself)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = httpx.get(f"{url}/metrics", timeout=10).text.splitlines()
        in_flight = sum(float(line.split()[-1]) for line in lines if line.startswith("facegate_requests_in_flight "))
        answered = sum(float(line.split()[-1]) for line in lines
                       if line.startswith("facegate_request_seconds_count") and '"/v1/access/verify"' in line)
        if in_flight - 1 + answered >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the server never took {count} verifications")


def test_shutdown_finishes_in_flight_verifications(database_url: str, tmp_path: Path) -> None:
    import signal
    import threading

    with server(database_url, tmp_path / "a", via_entrypoint=False) as (url, process):
        results: list[int] = []
        images = [read(p) for p in photos("Colin_Powell")[:4]]
        door_id = server_door(url)

        def door(image: bytes) -> None:
            results.append(httpx.post(f"{url}/v1/access/verify", headers=ADMIN, files={"image": ("p.jpg", image)},
                                      data={"door_id": door_id}, timeout=60).status_code)

        doors = [threading.Thread(target=door, args=(image,)) for image in images]
        for thread in doors:
            thread.start()
        _wait_received(url, len(images))  # requests are in flight or done
        process.send_signal(signal.SIGTERM)
        for thread in doors:
            thread.join(timeout=60)
    assert results == [200] * len(images)
