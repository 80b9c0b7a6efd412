"""Keys, rate limit, audit chain and crops at rest, through real HTTP and SQL on the test database."""
from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.main import create_app
from app.security.crypto import DataKeys, is_sealed
from tests.helpers import ADMIN, ADMIN_KEY, auth, default_door, enroll, make_settings, no_face, photos, read, verify


def _sql(url: str, statement: str, **params) -> list:  # noqa: ANN003
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def _verify(client: TestClient) -> dict:
    return client.get("/v1/admin/audit/verify", headers=ADMIN).json()


def test_keys_are_hmac_hashed_managed_by_api_and_the_bootstrap_key_is_replaced(
        tmp_path: Path, database_url: str) -> None:
    with TestClient(create_app(make_settings(tmp_path, database_url))) as client:
        door = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Lobby", "mode": "face"}).json()
        bad = client.post("/v1/admin/keys", headers=ADMIN, json={"role": "terminal", "name": "t", "door_id": 999})
        assert bad.status_code == 404 and bad.json()["detail"]["reason"] == "unknown_door"
        made = client.post("/v1/admin/keys", headers=ADMIN,
                           json={"role": "terminal", "name": "lobby", "door_id": door["id"]})
        assert made.status_code == 201 and made.json()["key"].startswith("fg_")
        secret = made.json()["key"]
        listed = client.get("/v1/admin/keys", headers=ADMIN).json()
        assert all("key" not in k for k in listed)
        assert client.post("/v1/access/verify", headers=auth(secret),
                           files={"image": ("p.jpg", no_face(), "image/jpeg")}).status_code == 200
        elsewhere = client.post("/v1/access/verify", headers=auth(secret), data={"door_id": "7"},
                                files={"image": ("p.jpg", no_face(), "image/jpeg")})
        assert elsewhere.status_code == 403
        assert _sql(database_url, "SELECT kind, detail FROM security_event WHERE detail LIKE '%wrong_door'")[0][0] \
            == "auth_forbidden"
        assert client.delete(f"/v1/admin/keys/{made.json()['id']}", headers=ADMIN).status_code == 204
        assert client.delete("/v1/admin/keys/999", headers=ADMIN).json()["detail"]["reason"] == "unknown_key"
    stored = _sql(database_url, "SELECT key_hash, prefix, hash_scheme FROM api_key WHERE bootstrap")
    assert stored[0][1] is None and stored[0][2] == "hmac"  # nothing of the chosen key in clear
    assert stored[0][0] != hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    # a legacy SHA-256 row keeps working and is re-hashed on first use
    legacy_key = "fg_legacy_key_0123456789abcdef"
    _sql(database_url, "INSERT INTO api_key (name, key_hash, hash_scheme, role, bootstrap, revoked, created_at) "
                       "VALUES ('old', :h, 'sha256', 'admin', false, false, CURRENT_TIMESTAMP)",
         h=hashlib.sha256(legacy_key.encode()).hexdigest())
    new_admin = "fg_rotated_admin_key_9876543210"
    with TestClient(create_app(make_settings(tmp_path, database_url, admin_key=new_admin))) as client:
        assert client.get("/v1/admin/keys", headers=auth(legacy_key)).status_code == 200
        assert _sql(database_url, "SELECT hash_scheme FROM api_key WHERE name = 'old'")[0][0] == "hmac"
        assert client.get("/v1/admin/keys", headers=auth(legacy_key)).status_code == 200
        old = client.get("/v1/admin/keys", headers=ADMIN)
        assert old.status_code == 401  # the previous FACEGATE_ADMIN_KEY is revoked
        assert client.get("/v1/admin/keys", headers=auth(new_admin)).status_code == 200
        kinds = [r[0] for r in _sql(database_url, "SELECT kind FROM security_event ORDER BY id")]
        assert kinds.count("key_revoked") == 2 and "auth_failed" in kinds
        assert client.get("/v1/admin/audit/verify", headers=auth(new_admin)).json()["ok"]


def test_failed_authentication_is_rate_limited_and_audited(tmp_path: Path, database_url: str) -> None:
    with TestClient(create_app(make_settings(tmp_path, database_url, auth_failures_per_minute=3))) as client:
        terminal = client.post("/v1/admin/keys", headers=ADMIN, json={"role": "terminal", "name": "t", "door_id": default_door(client)}).json()
        assert client.get("/v1/admin/doors", headers=auth(terminal["key"])).status_code == 403
        answers = [client.get("/v1/admin/doors", headers=auth(f"guess-{i}")) for i in range(3)]
        assert [a.status_code for a in answers] == [401, 401, 429]
        assert int(answers[-1].headers["retry-after"]) > 0
        assert answers[-1].json()["detail"]["reason"] == "too_many_attempts"
        assert client.get("/v1/admin/doors", headers=ADMIN).status_code == 429  # per client, before the key
    rows = _sql(database_url, "SELECT kind, client, detail FROM security_event WHERE kind LIKE 'auth%' ORDER BY id")
    assert [r[0] for r in rows] == ["auth_forbidden", "auth_failed", "auth_failed"]
    assert all(r[1] == "testclient" for r in rows) and "/v1/admin/doors" in rows[0][2]


def test_the_audit_chain_names_edited_deleted_and_inserted_rows(tmp_path: Path, database_url: str) -> None:
    with TestClient(create_app(make_settings(tmp_path, database_url))) as client:
        enroll(client, "Alice", photos("Colin_Powell")[:2])
        for _ in range(4):
            client.post("/v1/access/verify", headers=ADMIN, data={"door_id": default_door(client)}, files={"image": ("p.jpg", no_face(), "image/jpeg")})
        client.put("/v1/admin/threshold", headers=ADMIN, json={"threshold": 0.33, "reason": "pilot"})
        assert client.patch("/v1/admin/events/2", headers=ADMIN, json={"label": "impostor"}).status_code == 200
        report = _verify(client)
        assert report["ok"] and report["tables"]["access_event"]["rows"] == 4  # a label is not an edit

        _sql(database_url, "UPDATE access_event SET decision = 'admit' WHERE id = 3")
        broken = _verify(client)["tables"]["access_event"]
        assert (broken["problem"], broken["row_id"]) == ("edited", 3)
        _sql(database_url, "UPDATE access_event SET decision = 'reject' WHERE id = 3")
        assert _verify(client)["ok"]

        _sql(database_url, "DELETE FROM access_event WHERE id = 2")
        broken = _verify(client)["tables"]["access_event"]
        assert (broken["problem"], broken["row_id"]) == ("deleted", 3)
        _sql(database_url, "DELETE FROM threshold_change")
        assert _verify(client)["tables"]["threshold_change"]["problem"] == "deleted"
        _sql(database_url, "DELETE FROM access_event WHERE id = 4")  # the newest row
        _sql(database_url, "UPDATE access_event SET person_name = 'Mallory' WHERE id = 1")
        assert _verify(client)["tables"]["access_event"]["row_id"] == 1


def test_crops_are_sealed_at_rest_and_plain_ones_sealed_at_start(tmp_path: Path, database_url: str) -> None:
    from app.access.crops import PURPOSE as EVENT_CROP
    from app.people.crops import open_crop

    with TestClient(create_app(make_settings(tmp_path, database_url))) as client:
        enroll(client, "Alice", photos("Colin_Powell")[:2])
        assert verify(client, read(photos("Colin_Powell")[5]))["decision"] == "admit"  # keeps its probe crop
    keys = DataKeys.load(tmp_path / "data-keys.json")
    assert (tmp_path / "data-keys.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "server-secret").stat().st_mode & 0o777 == 0o600
    crops = [bytes(r[0]) for r in _sql(database_url, "SELECT chip_png FROM face_template ORDER BY id")]
    (probe,) = [bytes(r[0]) for r in _sql(database_url, "SELECT chip_png FROM event_crop")]
    assert all(is_sealed(c) and b"PNG" not in c for c in crops + [probe])
    plain, plain_probe = open_crop(keys, crops[0]), keys.open(probe, EVENT_CROP)
    assert plain.startswith(b"\x89PNG") and plain_probe.startswith(b"\x89PNG")
    _sql(database_url, "UPDATE face_template SET chip_png = :p", p=plain)  # as stored before encryption
    _sql(database_url, "UPDATE event_crop SET chip_png = :p", p=plain_probe)
    with TestClient(create_app(make_settings(tmp_path, database_url))):
        pass
    again = [bytes(r[0]) for r in _sql(database_url, "SELECT chip_png FROM face_template")]
    assert all(is_sealed(c) and open_crop(keys, c) == plain for c in again)
    (probe_again,) = [bytes(r[0]) for r in _sql(database_url, "SELECT chip_png FROM event_crop")]
    assert is_sealed(probe_again) and keys.open(probe_again, EVENT_CROP) == plain_probe