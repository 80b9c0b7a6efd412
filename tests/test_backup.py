"""Backup and restore through the CLI: a restored database decides the same and ids stay unique;
the file is encrypted (a cut one is refused) and restoring needs the site's secret and data keys."""
from __future__ import annotations

import json
import shutil
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
from app.runtime import open_database
from app.security.crypto import DataKeys, DecryptionError
from tests.helpers import ADMIN, enroll, make_settings, photos, read, verify


def _site_files(source: Path, target: Path) -> None:
    """What an operator copies to the restoring machine besides the backup: the secret and the keys."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("server-secret", "data-keys.json"):
        shutil.copy2(source / name, target / name)


def _manifest(path: Path, keys: DataKeys) -> dict:
    import gzip
    import io

    from app.security.stream import DecryptingReader

    with open(path, "rb") as raw, gzip.GzipFile(fileobj=io.BufferedReader(DecryptingReader(raw, keys))) as f:
        return json.loads(f.readline())


def test_backup_restore_round_trip(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   database_url: str, other_database_url: str) -> None:
    enroll(client, "Alice", photos("Colin_Powell")[:3], badge_id="B-1")
    enroll(client, "Bob", photos("Tony_Blair")[:3])
    probe = read(photos("Colin_Powell")[6])
    before = verify(client, probe)
    monkeypatch.setenv("FACEGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FACEGATE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    out = tmp_path / "backup.fgb"
    main(["backup", str(out)])
    assert b"Alice" not in out.read_bytes()
    manifest = _manifest(out, DataKeys.load(tmp_path / "data-keys.json"))
    assert manifest["counts"]["person"] == 2 and manifest["counts"]["face_template"] == 6
    assert manifest["counts"]["access_event"] == 1
    assert manifest["model_ids"] == [client.app.state.runtime.model_id]

    monkeypatch.setenv("FACEGATE_DATABASE_URL", other_database_url)
    monkeypatch.setenv("FACEGATE_DATA_DIR", str(tmp_path / "cli"))
    _site_files(tmp_path, tmp_path / "cli")
    _site_files(tmp_path, tmp_path / "restored")
    stale = tmp_path / "cli" / "gallery-snapshot.npz"  # an index snapshot of the database replaced
    stale.write_bytes(b"old index")
    get_settings.cache_clear()
    try:
        main(["restore", str(out)])
        assert not stale.exists()
        with pytest.raises(SystemExit) as refused:  # "not empty", said on stderr
            main(["restore", str(out)])
        assert refused.value.code == 1
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
    keys = DataKeys.load(tmp_path / "data-keys.json")
    full = tmp_path / "full.fgb"
    backup(Database(database_url), full, keys)
    data = full.read_bytes()
    cut, altered = tmp_path / "cut.fgb", tmp_path / "altered.fgb"
    cut.write_bytes(data[:-20])  # a copy interrupted mid-way
    altered.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    upgrade_database(other_database_url)
    settings = make_settings(tmp_path, other_database_url)
    target, _, chain = open_database(settings)
    for broken in (cut, altered):
        with pytest.raises(DecryptionError):
            restore(target, broken, keys, chain)
    with target.session() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0  # all or nothing
    with pytest.raises(DecryptionError):  # a stolen backup without the key file
        restore(target, full, DataKeys.load(tmp_path / "other-keys.json"), chain)
    assert restore(target, full, keys, chain)["counts"]["face_template"] == 3
    target.engine.dispose()
