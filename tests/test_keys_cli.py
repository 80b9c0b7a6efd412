"""`facegate keys` against the app's own database: create, use, list, revoke."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.core.settings import get_settings
from tests.helpers import ADMIN, auth, no_face, photos, read


def _cli(capsys: pytest.CaptureFixture, *args: str) -> list[str]:
    main(list(args))
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_keys_made_by_the_cli_work_and_revocation_bites(client: TestClient, database_url: str,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("FACEGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FACEGATE_DATA_DIR", str(client.app.state.runtime.settings.data_dir))  # its server secret
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit, match="1"):  # a terminal speaks for one door
            main(["keys", "create", "--role", "terminal"])
        with pytest.raises(SystemExit, match="1"):
            main(["keys", "create", "--role", "terminal", "--door", "999"])
        door = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Door 1"}).json()
        created = json.loads(_cli(capsys, "keys", "create", "--role", "terminal", "--name", "door 1",
                                  "--door", str(door["id"]))[0])
        key = auth(created["key"])
        assert client.post("/v1/access/verify", headers=key,
                           files={"image": ("p.jpg", no_face(), "image/jpeg")}).status_code == 200
        enroll = client.post("/v1/people", headers=key, data={"name": "X"},
                             files=[("images", ("a.jpg", read(photos("Colin_Powell")[0]), "image/jpeg"))])
        assert enroll.status_code == 403
        listed = [json.loads(line) for line in _cli(capsys, "keys", "list")]
        mine = next(k for k in listed if k["id"] == created["id"])
        assert mine["role"] == "terminal" and "key" not in mine and created["key"].startswith(mine["prefix"])
        _cli(capsys, "keys", "revoke", str(created["id"]))
        revoked = client.post("/v1/access/verify", headers=key, files={"image": ("p.jpg", no_face(), "image/jpeg")})
        assert revoked.status_code == 401 and revoked.json()["detail"]["reason"] == "invalid_key"
    finally:
        get_settings.cache_clear()
