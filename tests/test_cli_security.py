"""The CLI as an operator runs it (a subprocess): one data-directory rule, no implicit database,
no tracebacks, JSON on stdout, status on stderr, exit codes that mean something."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text


def _facegate(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_") or k == "FACEGATE_ONNX_CACHE_DIR"}
    environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=cwd, env={**environ, **(env or {})},
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_data_dir_exit_codes_and_audit_verify(tmp_path: Path) -> None:
    data = tmp_path / "site"
    missing = _facegate("keys", "list", cwd=tmp_path)
    assert missing.returncode == 2 and "no database" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "var").exists()  # nothing created implicitly

    assert _facegate("--data-dir", str(data), "migrate", cwd=tmp_path).returncode == 0
    (tmp_path / ".env").write_text(f"FACEGATE_DATA_DIR={data}\n")  # the same rule through .env
    made = _facegate("keys", "create", "--role", "enroll", "--name", "desk", cwd=tmp_path)
    assert made.returncode == 0 and json.loads(made.stdout)["key"].startswith("fg_") and "shown" in made.stderr

    door = _facegate("keys", "create", "--role", "terminal", "--door", "999", cwd=tmp_path)
    assert door.returncode == 1 and "door 999 does not exist" in door.stderr and "Traceback" not in door.stderr
    revoke = _facegate("keys", "revoke", "99", cwd=tmp_path)
    assert revoke.returncode == 1 and "no key 99" in revoke.stderr

    ok = _facegate("audit", "verify", cwd=tmp_path)
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"]
    engine = create_engine(f"sqlite:///{data / 'facegate.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE security_event SET detail = 'nothing happened'"))
    engine.dispose()
    broken = _facegate("audit", "verify", cwd=tmp_path)
    report = json.loads(broken.stdout)["tables"]["security_event"]
    assert broken.returncode == 1 and report["problem"] == "edited" and report["row_id"] == 1
