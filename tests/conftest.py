"""Shared fixtures: a real database (SQLite file or PostgreSQL), the app.

The database comes from FACEGATE_TEST_DATABASE: unset or "sqlite" gives a fresh SQLite
file per app; a postgresql:// URL (a server the test run may create databases on)
gives a fresh database per app on that server. .ci/run runs the suite once each way.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from tests.helpers import fresh_database, make_settings

# One ONNX export for the whole run (and the server processes it starts), not one per app.
os.environ.setdefault("FACEGATE_ONNX_CACHE_DIR", tempfile.mkdtemp(prefix="facegate-onnx-"))


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the kind this test run is for."""
    yield from fresh_database(tmp_path)


@pytest.fixture
def other_database_url(tmp_path: Path) -> Iterator[str]:
    """A second fresh database of the same kind (restore targets)."""
    yield from fresh_database(tmp_path / "other")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


