"""Upgrading a database from before the security revision: legacy SHA-256 keys keep working and
are re-hashed on first use, chosen keys lose their clear prefix, and old events join the chain."""
from __future__ import annotations

import hashlib
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.core.migrate import alembic_config
from app.main import create_app
from tests.helpers import ADMIN, ADMIN_KEY, make_settings


def test_upgrade_keeps_legacy_keys_and_chains_old_events(tmp_path: Path, database_url: str) -> None:
    config = alembic_config()
    previous = ScriptDirectory.from_config(config).get_revision("0003_security").down_revision
    engine = create_engine(database_url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, previous)
        conn.execute(text("INSERT INTO api_key (name, key_hash, prefix, role, revoked, created_at) VALUES "
                          "('FACEGATE_ADMIN_KEY', :h, :p, 'admin', false, CURRENT_TIMESTAMP)"),
                     {"h": hashlib.sha256(ADMIN_KEY.encode()).hexdigest(), "p": ADMIN_KEY[:8]})
        conn.execute(text("INSERT INTO access_event (created_at, mode, decision, reason, threshold, model_id, "
                          "latency_ms, person_name) VALUES (CURRENT_TIMESTAMP, 'face', 'reject', 'no_face', 0.3, "
                          "'m', 1.0, NULL)"))
    with TestClient(create_app(make_settings(tmp_path, database_url))) as client:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT prefix, bootstrap, hash_scheme FROM api_key")).one() == \
                (None, True, "hmac")  # found at start (FACEGATE_ADMIN_KEY is the same), so re-hashed
            assert conn.execute(text("SELECT count(*) FROM api_key")).scalar() == 1
        report = client.get("/v1/admin/audit/verify", headers=ADMIN).json()
        assert report["ok"] and report["tables"]["access_event"]["rows"] == 1
    engine.dispose()
