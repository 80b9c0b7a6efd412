"""Strict and humane validation over real HTTP: unknown fields refused, lengths that fit the
columns on POST and PATCH alike, clean names, a reason for every threshold change; nothing changes."""
from __future__ import annotations

from fastapi.testclient import TestClient

from app.people.fields import MAX_LENGTH
from tests.helpers import ADMIN, enroll, photos, read

ALICE = "Colin_Powell"


def _refused(response, reason: str = "invalid_request") -> str:
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["reason"] == reason
    return response.json()["detail"]["message"]


def test_unknown_json_fields_are_refused(client: TestClient) -> None:
    message = _refused(client.post("/v1/admin/calibrate", headers=ADMIN, json={"far": 0.01}))
    assert "unknown field `far`" in message
    _refused(client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Lobby", "colour": "red"}))
    assert client.get("/v1/admin/doors", headers=ADMIN).json() == []
    _refused(client.post("/v1/admin/groups", headers=ADMIN, json={"name": "g", "extra": 1}))


def test_person_fields_fit_their_columns_on_post_and_patch(client: TestClient) -> None:
    files = [("images", (p.name, p.read_bytes(), "image/jpeg")) for p in photos(ALICE)[:2]]
    too_long = "B" * (MAX_LENGTH["badge_id"] + 1)
    message = _refused(client.post("/v1/people", headers=ADMIN, data={"name": "A", "badge_id": too_long}, files=files))
    assert f"at most {MAX_LENGTH['badge_id']}" in message and str(len(too_long)) in message
    for name in ("   ", "Al\tice", "Al\nice", "N" * (MAX_LENGTH["name"] + 1)):
        _refused(client.post("/v1/people", headers=ADMIN, data={"name": name}, files=files), "invalid_name")
    _refused(client.post("/v1/people", headers=ADMIN, data={"name": "Al\x00ice"}, files=files))  # NUL: any text
    assert client.get("/v1/people", headers=ADMIN).json()["total"] == 0
    person = enroll(client, "  Alice  ", photos(ALICE)[:2])["person"]
    assert person["name"] == "Alice"
    url = f"/v1/people/{person['id']}"
    for name in ("   ", "A\x07", "N" * (MAX_LENGTH["name"] + 1)):
        _refused(client.patch(url, headers=ADMIN, json={"name": name}), "invalid_name")
    _refused(client.patch(url, headers=ADMIN, json={"badge_id": too_long}))
    _refused(client.patch(url, headers=ADMIN, json={"nickname": "Al"}))
    assert client.get(url, headers=ADMIN).json()["name"] == "Alice"
    assert client.patch(url, headers=ADMIN, json={"name": " Alice B "}).json()["name"] == "Alice B"


def test_a_threshold_change_needs_a_reason(client: TestClient) -> None:
    before = client.get("/v1/admin/threshold", headers=ADMIN).json()
    for body in ({"threshold": 0.3}, {"threshold": 0.3, "reason": "   "}):
        _refused(client.put("/v1/admin/threshold", headers=ADMIN, json=body))
    assert client.get("/v1/admin/threshold", headers=ADMIN).json() == before
    assert client.put("/v1/admin/threshold", headers=ADMIN, json={"threshold": 0.3, "reason": "pilot"}).status_code == 200


def test_an_unknown_filter_value_is_refused_with_the_allowed_ones(client: TestClient) -> None:
    message = _refused(client.get("/v1/admin/events", headers=ADMIN, params={"decision": "admitted"}))
    assert "'admit'" in message and "'reject'" in message
    assert client.get("/v1/admin/events", headers=ADMIN, params={"decision": "reject"}).status_code == 200


def test_every_datetime_is_utc_with_z(client: TestClient) -> None:
    person = enroll(client, "Alice", photos(ALICE)[:2], valid_until="2031-01-01T12:00:00+02:00")["person"]
    assert person["valid_until"] == "2031-01-01T10:00:00Z"
    stamps = [person["created_at"], person["updated_at"], person["templates"][0]["created_at"]]
    client.put("/v1/admin/threshold", headers=ADMIN, json={"threshold": 0.3, "reason": "pilot"})
    stamps.append(client.get("/v1/admin/threshold/history", headers=ADMIN).json()[0]["created_at"])
    assert all(stamp.endswith("Z") and "+" not in stamp for stamp in stamps), stamps


def test_a_threshold_outside_the_measured_range_needs_confirming(client: TestClient) -> None:
    state = client.get("/v1/admin/threshold", headers=ADMIN).json()
    low, high = state["measured_range"]
    assert 0 < low < state["model_default"] < high < 2
    refused = client.put("/v1/admin/threshold", headers=ADMIN, json={"threshold": high + 0.2, "reason": "open up"})
    assert refused.status_code == 422 and refused.json()["detail"]["reason"] == "outside_measured_range"
    assert refused.json()["detail"]["measured_range"] == [low, high]
    assert client.get("/v1/admin/threshold", headers=ADMIN).json() == state
    confirmed = client.put("/v1/admin/threshold", headers=ADMIN, json={
        "threshold": high + 0.2, "reason": "open up", "confirm_outside_measured_range": True})
    assert confirmed.status_code == 200
    assert client.get("/v1/admin/threshold", headers=ADMIN).json()["threshold"] == high + 0.2


def test_an_unknown_form_field_is_refused_and_nothing_is_enrolled(client: TestClient) -> None:
    files = [("images", (p.name, read(p), "image/jpeg")) for p in photos(ALICE)[:2]]
    refused = client.post("/v1/people", headers=ADMIN, data={"name": "Alice", "alow_duplicate": "true"}, files=files)
    assert refused.status_code == 422 and refused.json()["detail"]["unknown_fields"] == ["alow_duplicate"]
    assert "allow_duplicate" in refused.json()["detail"]["message"]
    assert client.get("/v1/people", headers=ADMIN).json()["total"] == 0
