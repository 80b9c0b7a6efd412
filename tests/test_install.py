"""A non-editable install works from anywhere, as in the container: migrate, serve, enrol, verify.

The project is built and installed (no dependencies: the test environment has them) into a fresh
target folder, and run from an unrelated working directory with only that folder on the path, so
nothing can be found through the source checkout.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import ADMIN, REPO_ROOT, photos, read, server, server_door

MODEL_CARD = REPO_ROOT / "models" / "dlib-resnet-mtcnn-v2.json"  # weights are not in the wheel


def _install(tmp: Path) -> Path:
    source = tmp / "source"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(REPO_ROOT / "app", source / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", source)
    target = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, timeout=300)
    shutil.rmtree(source)
    return target


def test_installed_package_migrates_serves_enrols_and_verifies(database_url: str, tmp_path: Path) -> None:
    target = _install(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "FACEGATE_DATABASE_URL": database_url,
           "FACEGATE_DATA_DIR": str(tmp_path / "data"), "FACEGATE_MODEL_CARD": str(MODEL_CARD)}
    where = subprocess.run([sys.executable, "-c", "import app; print(app.__file__)"], env=env, cwd=elsewhere,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(target), where
    facegate = target / "bin" / "facegate"
    migrated = subprocess.run([str(facegate), "migrate"], env=env, cwd=elsewhere, capture_output=True, text=True,
                              timeout=120)
    assert migrated.returncode == 0 and "database at head" in migrated.stderr, migrated.stderr

    person = photos("Colin_Powell")
    with server(database_url, tmp_path / "data", facegate=facegate, cwd=elsewhere, PYTHONPATH=str(target),
                FACEGATE_MODEL_CARD=str(MODEL_CARD), FACEGATE_FACE_WORKERS="1") as (url, _):
        enrolled = httpx.post(f"{url}/v1/people", headers=ADMIN, data={"name": "Colin Powell"}, timeout=60,
                              files=[("images", (p.name, read(p), "image/jpeg")) for p in person[:2]])
        assert enrolled.status_code == 201, enrolled.text
        decided = httpx.post(f"{url}/v1/access/verify", headers=ADMIN, timeout=60, data={"door_id": server_door(url)},
                             files={"image": ("probe.jpg", read(person[2]), "image/jpeg")})
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"] == "admit"
    assert decided.json()["person"]["id"] == enrolled.json()["person"]["id"]
