"""Shared fixtures: real photos from ../shared/data, a real database (SQLite file or PostgreSQL), the app.

The database comes from FACEGATE_TEST_DATABASE: unset or "sqlite" gives a fresh SQLite
file per app; a postgresql:// URL (a server the test run may create databases on)
gives a fresh database per app on that server. .ci/run runs the suite once each way.
"""
from __future__ import annotations

import io
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text

from app.core.settings import REPO_ROOT, Settings
from app.training.data import is_validation_identity

DATA = Path(os.environ.get("FACEGATE_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))
LFW = DATA / "lfw-dev"
CELEBA = DATA / "celeba-dev"
ADMIN_KEY = "fg_test_admin_key_0123456789"
# One ONNX export for the whole run (and the server processes it starts), not one per app.
os.environ.setdefault("FACEGATE_ONNX_CACHE_DIR", tempfile.mkdtemp(prefix="facegate-onnx-"))


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


def _fresh_database(directory: Path) -> Iterator[str]:
    chosen = os.environ.get("FACEGATE_TEST_DATABASE", "sqlite")
    if chosen == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{directory / 'facegate.db'}"
    else:
        yield from _postgres_database(chosen)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the kind this test run is for."""
    yield from _fresh_database(tmp_path)


@pytest.fixture
def other_database_url(tmp_path: Path) -> Iterator[str]:
    """A second fresh database of the same kind (restore targets)."""
    yield from _fresh_database(tmp_path / "other")


def make_settings(data_dir: Path, database_url: str, **overrides) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, admin_key=ADMIN_KEY, index_poll_seconds=0.2,
                    **overrides)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ADMIN = auth(ADMIN_KEY)


def make_key(client: TestClient, role: str, door_id: int | None = None) -> dict[str, str]:
    """Create a key the way `facegate keys create` does, in the app's own database."""
    from app.core.auth import create_key

    with client.app.state.runtime.db.session() as session:
        _, secret = create_key(session, role, f"test {role}", door_id)
    return auth(secret)


def enroll(client: TestClient, name: str, files: list[Path], headers: dict = ADMIN, **form) -> dict:
    response = client.post("/v1/people", headers=headers, data={"name": name, **form},
                           files=[("images", (p.name, read(p), "image/jpeg")) for p in files])
    assert response.status_code == 201, response.text
    return response.json()


def verify(client: TestClient, image: bytes, headers: dict = ADMIN, **form) -> dict:
    response = client.post("/v1/access/verify", headers=headers, data=form,
                           files={"image": ("probe.jpg", image, "image/jpeg")})
    assert response.status_code == 200, response.text
    return response.json()
