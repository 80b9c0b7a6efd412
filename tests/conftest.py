"""Shared fixtures: a real database (SQLite file or PostgreSQL), the app.

The database comes from FACEGATE_TEST_DATABASE: unset or "sqlite" gives a fresh SQLite
file per app; a postgresql:// URL (a server the test run may create databases on)
gives a fresh database per app on that server. .ci/run runs the suite once each way.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.core.settings import Settings
from tests.helpers import make_settings

# One ONNX export for the whole run (and the server processes it starts), not one per app.
os.environ.setdefault("FACEGATE_ONNX_CACHE_DIR", tempfile.mkdtemp(prefix="facegate-onnx-"))


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


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


