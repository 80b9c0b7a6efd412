"""Static checks of the deployment files (no Docker engine runs here, so they are never built in CI).

The entrypoint script itself is exercised for real by tests/test_replicas.py.
"""
from __future__ import annotations

import json
import re

import yaml

from tests.helpers import REPO_ROOT


def test_compose_file_wires_postgres_health_and_replicas() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    postgres, api = compose["services"]["postgres"], compose["services"]["api"]
    assert postgres["image"] == "postgres:16" and "healthcheck" in postgres
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["deploy"]["replicas"] >= 2
    assert "postgresql+psycopg://" in api["environment"]["FACEGATE_DATABASE_URL"]
    assert (REPO_ROOT / api["env_file"].replace("facegate.env", "facegate.env.example")).is_file()


def test_dockerfile_runs_as_non_root_with_the_model_and_a_readiness_check() -> None:
    text = (REPO_ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") >= 2  # multi-stage
    assert "torch" not in text.split("FROM ")[1]  # the serving set: no PyTorch in the image
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "/readyz" in re.search(r"HEALTHCHECK.*?(?=\n\S)", text, re.S).group(0)
    card_path = re.search(r"FACEGATE_MODEL_CARD=/srv/facegate/(\S+)", text).group(1)
    card = json.loads((REPO_ROOT / card_path).read_text())
    assert (REPO_ROOT / "models" / card["onnx"]["file"]).is_file()
    final_stage = text.rsplit("FROM ", 1)[1]
    assert not re.search(r"^COPY (app|migrations|alembic)", final_stage, re.M)  # the installed package only
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert "var" in ignored and ".venv" in ignored  # no data, no local environment in the image
