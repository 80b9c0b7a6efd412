"""Test helpers: real photos from FACEGATE_TEST_DATA, keys, and the enrol/verify calls tests repeat."""
from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text

from app.core.settings import Settings
from app.training.data import data_root, is_validation_identity

DATA = data_root()
LFW = DATA / "lfw-dev"
CELEBA = DATA / "celeba-dev"
ADMIN_KEY = "fg_test_admin_key_0123456789"
REPO_ROOT = Path(__file__).resolve().parents[1]  # the source checkout under test (deploy files, scripts)


def photos(person: str, dataset: Path = LFW) -> list[Path]:
    return sorted((dataset / person).glob("*.jpg"))


def read(path: Path) -> bytes:
    return path.read_bytes()


def validation_people(dataset: Path, count: int, min_photos: int = 5) -> list[str]:
    """People on the held-out side of the training split, so the model never trained on them."""
    chosen = []
    for person in sorted(p.name for p in dataset.iterdir() if p.is_dir()):
        if is_validation_identity(f"{dataset.name}/{person}") and len(photos(person, dataset)) >= min_photos:
            chosen.append(person)
            if len(chosen) == count:
                break
    return chosen


def jpeg(image: Image.Image, quality: int = 90, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, **kwargs)
    return out.getvalue()


def two_faces(a: Path, b: Path) -> bytes:
    """Two real portraits side by side: a photo with several faces."""
    left, right = Image.open(a).convert("RGB"), Image.open(b).convert("RGB")
    canvas = Image.new("RGB", (left.width + right.width, max(left.height, right.height)))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return jpeg(canvas)


def no_face() -> bytes:
    """A photo-sized image with texture and colour but no face."""
    import numpy as np

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:240, 0:320]
    base = np.stack([x / 320 * 255, y / 240 * 255, (x + y) / 560 * 255], axis=2)
    return jpeg(Image.fromarray(np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype("uint8")))


def make_settings(data_dir: Path, database_url: str, **overrides) -> Settings:
    return Settings(**{"data_dir": data_dir, "database_url": database_url, "admin_key": ADMIN_KEY,
                       "index_poll_seconds": 0.2, **overrides})


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ADMIN = auth(ADMIN_KEY)


def default_door(client: TestClient) -> int:
    """A face door open to everyone (every decision is at a door): created on first use."""
    doors = client.get("/v1/admin/doors", headers=ADMIN).json()
    for door in doors:
        if door["name"] == "Test door":
            return door["id"]
    created = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Test door"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def make_key(client: TestClient, role: str, door_id: int | None = None) -> dict[str, str]:
    """Create a key the way `facegate keys create` does, in the app's own database; a terminal
    key is bound to `door_id`, else to the default test door."""
    from app.keys.service import create_key

    if role == "terminal" and door_id is None:
        door_id = default_door(client)
    runtime = client.app.state.runtime
    with runtime.db.session() as session:
        _, secret = create_key(session, runtime.secret, role, f"test {role}", door_id)
    return auth(secret)


def enroll(client: TestClient, name: str, files: list[Path], headers: dict = ADMIN, **form) -> dict:
    response = client.post("/v1/people", headers=headers, data={"name": name, **form},
                           files=[("images", (p.name, read(p), "image/jpeg")) for p in files])
    assert response.status_code == 201, response.text
    return response.json()


def verify(client: TestClient, image: bytes, headers: dict = ADMIN, **form) -> dict:
    """Verify at `door_id`; an admin naming none verifies at the default test door."""
    if headers is ADMIN and "door_id" not in form:
        form["door_id"] = default_door(client)
    response = client.post("/v1/access/verify", headers=headers, data=form,
                           files={"image": ("probe.jpg", image, "image/jpeg")})
    assert response.status_code == 200, response.text
    return response.json()


def server_door(url: str) -> int:
    """default_door for a server process: the test door, created on first use."""
    for door in httpx.get(f"{url}/v1/admin/doors", headers=ADMIN, timeout=30).json():
        if door["name"] == "Test door":
            return door["id"]
    created = httpx.post(f"{url}/v1/admin/doors", headers=ADMIN, json={"name": "Test door"}, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()["id"]


BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(database_url: str, data_dir: Path, via_entrypoint: bool = False, facegate: Path = BIN / "facegate",
           cwd: Path = REPO_ROOT, **env_overrides: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real `facegate serve` (or the container entrypoint) on a free port, until /readyz answers."""
    port = _free_port()
    env = {**os.environ, "FACEGATE_DATABASE_URL": database_url, "FACEGATE_DATA_DIR": str(data_dir),
           "FACEGATE_ADMIN_KEY": ADMIN_KEY, "FACEGATE_INDEX_POLL_SECONDS": "0.2", "FACEGATE_LOG_LEVEL": "WARNING",
           "FACEGATE_HOST": "127.0.0.1", "FACEGATE_PORT": str(port), "FACEGATE_BIN": str(facegate),
           "PYTHON_BIN": sys.executable, **env_overrides}
    command = ([str(REPO_ROOT / "docker" / "entrypoint.sh")] if via_entrypoint else
               [str(facegate), "serve", "--host", "127.0.0.1", "--port", str(port)])
    log = open(data_dir.parent / f"server-{port}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"server exited: {Path(log.name).read_text()[-3000:]}"
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server not ready within 120 s"
            time.sleep(0.3)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if "Traceback" in Path(log.name).read_text():
            print(Path(log.name).read_text()[-5000:])  # shown by pytest when the test fails


def _postgres_database(server_url: str) -> Iterator[str]:
    name = f"facegate_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_database(directory: Path) -> Iterator[str]:
    """A fresh, empty database of the kind this test run is for (FACEGATE_TEST_DATABASE)."""
    chosen = os.environ.get("FACEGATE_TEST_DATABASE", "sqlite")
    if chosen == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{directory / 'facegate.db'}"
    else:
        yield from _postgres_database(chosen)
