"""Backup and restore through the CLI: a restored database decides the same and ids stay unique."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.backup import backup, restore
from app.cli import main
from app.core.db import Database
from app.core.migrate import upgrade_database
from app.core.settings import get_settings
from app.main import create_app
from app.people.models import Person
from tests.helpers import ADMIN, enroll, make_settings, photos, read, verify


def test_backup_restore_round_trip(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   database_url: str, other_database_url: str) -> None:
    enroll(client, "Alice", photos("Colin_Powell")[:3], badge_id="B-1")
    enroll(client, "Bob", photos("Tony_Blair")[:3])
    probe = read(photos("Colin_Powell")[6])
    before = verify(client, probe)
    monkeypatch.setenv("FACEGATE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    out = tmp_path / "backup.jsonl.gz"
    main(["backup", str(out)])
    with gzip.open(out, "rt") as f:
        manifest = json.loads(f.readline())
    assert manifest["counts"]["person"] == 2 and manifest["counts"]["face_template"] == 6
    assert manifest["counts"]["access_event"] == 1
    assert manifest["model_ids"] == [client.app.state.runtime.model_id]

    monkeypatch.setenv("FACEGATE_DATABASE_URL", other_database_url)
    monkeypatch.setenv("FACEGATE_DATA_DIR", str(tmp_path / "cli"))
    stale = tmp_path / "cli" / "gallery-snapshot.npz"  # an index snapshot of the database replaced
    stale.parent.mkdir()
    stale.write_bytes(b"old index")
    get_settings.cache_clear()
    try:
        main(["restore", str(out)])
        assert not stale.exists()
        with pytest.raises(ValueError, match="not empty"):
            main(["restore", str(out)])
    finally:
        get_settings.cache_clear()
    with TestClient(create_app(make_settings(tmp_path / "restored", other_database_url))) as restored:
        after = verify(restored, probe)
        assert (after["decision"], after["person"], after["distance"]) == \
            (before["decision"], before["person"], before["distance"])
        assert len(restored.get("/v1/admin/events", headers=ADMIN).json()["items"]) == 2
        carol = enroll(restored, "Carol", photos("Donald_Rumsfeld")[:2])  # ids continue past the restored ones
        assert carol["person"]["id"] == 3 and min(carol["added_templates"]) > 6


def test_truncated_backup_is_refused_and_restores_nothing(client: TestClient, tmp_path: Path,
                                                           database_url: str, other_database_url: str) -> None:
    enroll(client, "Alice", photos("Colin_Powell")[:3])
    full = tmp_path / "full.jsonl.gz"
    backup(Database(database_url), full)
    with gzip.open(full, "rt") as f:
        lines = f.readlines()
    cut = tmp_path / "cut.jsonl.gz"
    with gzip.open(cut, "wt") as f:
        f.writelines(lines[:-2])  # the last two rows lost, as a copy interrupted mid-way would
    upgrade_database(other_database_url)
    target = Database(other_database_url)
    with pytest.raises(ValueError, match="incomplete"):
        restore(target, cut)
    with target.session() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0  # all or nothing
    assert restore(target, full)["counts"]["face_template"] == 3
    target.engine.dispose()
