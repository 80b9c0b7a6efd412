"""Retention and erasure keep the audit verifiable; a backup carries the chain and restore refuses a
broken one; concurrent writers never fork the chain; data-key rotation re-encrypts every crop."""
from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.access.crops import PURPOSE as EVENT_CROP
from app.access.models import AccessEvent
from app.backup import backup, restore
from app.cli import main
from app.core.migrate import upgrade_database
from app.core.settings import get_settings
from app.main import create_app
from app.people.crops import open_crop
from app.runtime import open_database
from app.security.chain import pseudonym
from app.security.crypto import DataKeys
from app.security.retention import pseudonymise_before, purge_before
from tests.helpers import ADMIN, default_door, enroll, make_settings, no_face, photos, read


def _sql(url: str, statement: str) -> list:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def _door_events(client: TestClient, count: int, photo: bytes) -> None:
    door = default_door(client)
    for _ in range(count):
        client.post("/v1/access/verify", headers=ADMIN, data={"door_id": door}, files={"image": ("p.jpg", photo, "image/jpeg")})


def test_purge_and_pseudonymise_keep_the_chain_and_a_restore_checks_it(
        tmp_path: Path, database_url: str, other_database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    with TestClient(create_app(settings)) as client:
        enroll(client, "Alice Example", photos("Colin_Powell")[:2])
        _door_events(client, 3, read(photos("Colin_Powell")[5]))
        events = client.get("/v1/admin/events", headers=ADMIN).json()["items"]
        assert {e["person_name"] for e in events} == {"Alice Example"}
        runtime = client.app.state.runtime
        second = datetime.fromisoformat(sorted(events, key=lambda e: e["id"])[1]["created_at"])
        cutoff = second.replace(tzinfo=second.tzinfo or timezone.utc)
        with runtime.db.session() as session:
            assert pseudonymise_before(session, AccessEvent, datetime.now(timezone.utc)) == 3
            assert purge_before(session, runtime.chain, AccessEvent, cutoff) == 1
        left = client.get("/v1/admin/events", headers=ADMIN).json()["items"]
        assert len(left) == 2 and all(e["person_name"] == pseudonym(e["person_id"]) for e in left)
        report = client.get("/v1/admin/audit/verify", headers=ADMIN).json()
        assert report["ok"] and report["tables"]["access_event"]["first_seq"] == 2
        _door_events(client, 1, no_face())
        assert client.get("/v1/admin/audit/verify", headers=ADMIN).json()["ok"]

        keys = runtime.data_keys
        good, bad = tmp_path / "good.fgb", tmp_path / "bad.fgb"
        backup(runtime.db, good, keys)
        ids = sorted(e["id"] for e in client.get("/v1/admin/events", headers=ADMIN).json()["items"])
        _sql(database_url, f"DELETE FROM event_crop WHERE event_id = {ids[1]}")  # an insider removes one event
        _sql(database_url, f"DELETE FROM access_event WHERE id = {ids[1]}")
        backup(runtime.db, bad, keys)
    upgrade_database(other_database_url)
    target, _, chain = open_database(make_settings(tmp_path, other_database_url))
    with pytest.raises(ValueError, match="audit chain does not verify"):
        restore(target, bad, keys, chain)
    restore(target, good, keys, chain)
    with target.session() as session:
        assert chain.verify(session)["ok"]
    target.engine.dispose()


def test_concurrent_writers_make_one_unbroken_chain(tmp_path: Path, database_url: str) -> None:
    with TestClient(create_app(make_settings(tmp_path, database_url))) as client:
        photo = no_face()
        default_door(client)  # made once, before the writers race
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: _door_events(client, 3, photo), range(4)))
        report = client.get("/v1/admin/audit/verify", headers=ADMIN).json()
        assert report["ok"] and report["tables"]["access_event"]["rows"] == 12


def test_rotate_data_key_reencrypts_every_crop(tmp_path: Path, database_url: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture) -> None:
    with TestClient(create_app(make_settings(tmp_path, database_url))) as client:
        enroll(client, "Alice", photos("Colin_Powell")[:2])
        _door_events(client, 1, read(photos("Colin_Powell")[5]))  # an admission keeps its probe crop
    before = DataKeys.load(tmp_path / "data-keys.json")
    shutil.copy2(tmp_path / "data-keys.json", tmp_path / "old-keys.json")
    monkeypatch.setenv("FACEGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FACEGATE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        main(["keys", "rotate-data-key"])
    finally:
        get_settings.cache_clear()
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result == {"data_key": "k2", "crops_reencrypted": 3}  # two templates' crops, one event's
    after = DataKeys.load(tmp_path / "data-keys.json")
    assert list(after.keys) == ["k2"]
    crops = [bytes(r[0]) for r in _sql(database_url, "SELECT chip_png FROM face_template")]
    assert all(after.key_of(c) == "k2" and open_crop(after, c).startswith(b"\x89PNG") for c in crops)
    (probe,) = [bytes(r[0]) for r in _sql(database_url, "SELECT chip_png FROM event_crop")]
    assert after.key_of(probe) == "k2" and after.open(probe, EVENT_CROP).startswith(b"\x89PNG")
    assert "k1" in before.keys  # the old key file still opens older backups, nothing else
