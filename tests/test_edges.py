"""The request edge: hostile bodies are refused before they are read, and bad input of any kind
is a 4xx with a reason (never a 5xx). Bodies go to a real `facegate serve` over a socket
(tests/edge_http.py); the rest through the app's own HTTP client."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.core.ids import MAX_ID
from app.main import create_app
from tests.edge_http import CHUNK, length, multipart, send_until_answered, zeros
from tests.helpers import (
    ADMIN,
    ADMIN_KEY,
    REPO_ROOT,
    default_door,
    fresh_database,
    make_settings,
    make_key,
    photos,
    read,
    server,
    server_door,
)

MiB = 2**20
# What the server may have taken in (its socket buffers, one multipart part) without reading on.
SLACK = 16 * MiB


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("edges")
    for database_url in fresh_database(directory):
        # this checkout's app, not whichever one the venv's editable install points at
        with server(database_url, directory / "data", PYTHONPATH=str(REPO_ROOT)) as (url, _):
            yield url


FORM = {"Content-Type": "multipart/form-data; boundary=xyz"}


def test_an_upload_without_a_key_is_answered_before_its_body_is_read(live: str) -> None:
    size = length(multipart("xyz", 1, 100 * MiB))  # under the route's cap: only the key can refuse it
    declared = send_until_answered(live, "POST", "/v1/people", {**FORM, "Content-Length": str(size)},
                                   multipart("xyz", 1, 100 * MiB))
    assert (declared.status, declared.body["detail"]["reason"]) == (401, "unauthenticated")
    assert declared.sent < SLACK
    streamed = send_until_answered(live, "POST", "/v1/people", FORM, multipart("xyz", 1, 300 * MiB), chunked=True)
    assert (streamed.status, streamed.body["detail"]["reason"]) == (401, "unauthenticated")
    assert streamed.sent < SLACK
    wrong = send_until_answered(live, "POST", "/v1/access/verify", {**FORM, "Authorization": "Bearer nope"},
                                multipart("xyz", 1, 300 * MiB), chunked=True)
    assert (wrong.status, wrong.body["detail"]["reason"]) == (401, "invalid_key")
    assert wrong.sent < SLACK


def test_a_key_of_the_wrong_role_is_refused_before_the_body(live: str) -> None:
    door = server_door(live)
    created = httpx.post(f"{live}/v1/admin/keys", headers=ADMIN, json={"role": "terminal", "name": "t",
                                                                       "door_id": door}, timeout=30)
    terminal = {"Authorization": f"Bearer {created.json()['key']}"}
    answer = send_until_answered(live, "POST", "/v1/people", {**FORM, **terminal}, multipart("xyz", 1, 300 * MiB),
                                 chunked=True)
    assert (answer.status, answer.body["detail"]["reason"]) == (403, "forbidden")
    assert answer.sent < SLACK


def test_a_declared_length_over_the_routes_cap_is_refused_unread_with_the_sizes(live: str) -> None:
    size = length(multipart("xyz", 1, 300 * MiB))
    answer = send_until_answered(live, "POST", "/v1/people", {**FORM, "Content-Length": str(size)},
                                 multipart("xyz", 1, 300 * MiB))
    assert answer.status == 413 and answer.body["detail"]["reason"] == "request_too_large"
    assert "300.0 MB" in answer.body["detail"]["message"]  # the real size, and the route's cap
    assert re.search(r"at most \d+\.\d MB", answer.body["detail"]["message"])
    assert answer.sent < SLACK


def test_a_chunked_body_past_the_cap_is_cut_off(live: str) -> None:
    answer = send_until_answered(live, "POST", "/v1/admin/doors",
                                 {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"},
                                 zeros(64 * MiB), chunked=True)
    assert answer.status == 413 and answer.body["detail"]["reason"] == "request_too_large"
    assert "1.0 MB" in answer.body["detail"]["message"]
    assert answer.sent < SLACK


def test_too_many_files_are_refused_before_the_rest_are_read(live: str) -> None:
    answer = send_until_answered(live, "POST", "/v1/people",
                                 {"Authorization": f"Bearer {ADMIN_KEY}", **FORM}, multipart("xyz", 150, MiB),
                                 chunked=True)
    assert answer.status == 422 and answer.body["detail"]["reason"] == "invalid_request"
    assert "Maximum number of files is 20" in answer.body["detail"]["message"]
    assert answer.sent < 21 * (MiB + CHUNK) + SLACK  # not the 150 MiB sent otherwise
    assert httpx.get(f"{live}/v1/people", headers=ADMIN, timeout=30).json()["total"] == 0


def _png(side: int) -> bytes:
    out = io.BytesIO()
    Image.open(photos("Colin_Powell")[0]).convert("RGB").resize((side, side)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("side", [1, 8, 24])
def test_a_tiny_image_is_image_too_small_on_enrol_and_on_verify_and_audited(client: TestClient, side: int) -> None:
    enrolled = client.post("/v1/people", headers=ADMIN, data={"name": "Tiny"},
                           files=[("images", ("tiny.png", _png(side), "image/png"))])
    assert enrolled.status_code == 422, enrolled.text
    rejected = enrolled.json()["detail"]["rejected"][0]
    assert rejected["reason"] == "image_too_small" and f"{side}x{side}" in rejected["message"]
    assert "40 px" in rejected["message"]  # the quality gate's real minimum
    verified = client.post("/v1/access/verify", headers=ADMIN, data={"door_id": default_door(client)},
                           files={"image": ("tiny.png", _png(side), "image/png")})
    assert verified.status_code == 422 and verified.json()["detail"]["reason"] == "image_too_small"
    events = client.get("/v1/admin/events", headers=ADMIN, params={"reason": "image_too_small"}).json()["items"]
    assert [e["id"] for e in events] == [verified.json()["detail"]["event_id"]]


def _integer_parameters(openapi: dict) -> Iterator[tuple[str, str, str, str]]:
    """(method, path, where, name) of every integer path or query parameter the API declares."""
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                types = [s.get("type") for s in schema.get("anyOf", [schema])]
                if "integer" in types and parameter["in"] in ("path", "query"):
                    yield method, path, parameter["in"], parameter["name"]


def test_an_id_past_64_bits_is_a_422_on_every_route(client: TestClient) -> None:
    parameters = list(_integer_parameters(client.get("/openapi.json").json()))
    assert len({path for _, path, _, _ in parameters}) >= 15  # the id routes, not an empty list
    for method, path, where, name in parameters:
        for huge in (MAX_ID + 1, 2**64):
            url = re.sub(r"\{[^}]+\}", "1", path.replace("{" + name + "}", str(huge)))
            params = {name: huge} if where == "query" else {}
            if name == "limit":
                continue  # bounded by the page size already
            answer = client.request(method.upper(), url, headers=ADMIN, params=params)
            assert answer.status_code == 422, (method, path, name, answer.text)
            assert answer.json()["detail"]["reason"] == "invalid_request"
    verify = client.post("/v1/access/verify", headers=ADMIN, data={"door_id": str(2**63)},
                         files={"image": ("a.jpg", read(photos("Colin_Powell")[0]), "image/jpeg")})
    assert verify.status_code == 422
    grant = client.post("/v1/admin/grants", headers=ADMIN, json={"group_id": 2**63, "door_id": 1, "schedule_id": 1})
    assert grant.status_code == 422


def test_unknown_routes_and_methods_answer_in_the_envelope(client: TestClient) -> None:
    missing = client.get("/v1/nothing-here", headers=ADMIN)
    assert (missing.status_code, missing.json()["detail"]["reason"]) == (404, "not_found")
    wrong = client.delete("/healthz")
    assert (wrong.status_code, wrong.json()["detail"]["reason"]) == (405, "method_not_allowed")
    bad_json = client.post("/v1/admin/doors", headers={**ADMIN, "Content-Type": "application/json"},
                           content=b'{"name": "\xff\xfe"}')
    assert 400 <= bad_json.status_code < 500 and "reason" in bad_json.json()["detail"]


def test_messages_name_no_exception_classes_and_real_sizes(client: TestClient) -> None:
    garbage = client.post("/v1/access/verify", headers=ADMIN, data={"door_id": default_door(client)},
                          files={"image": ("x.jpg", b"not a photo at all", "image/jpeg")})
    assert garbage.json()["detail"]["reason"] == "not_an_image"
    assert "Error" not in garbage.json()["detail"]["message"]
    big = client.post("/v1/access/verify", headers=ADMIN, data={"door_id": default_door(client)},
                      files={"image": ("x.jpg", b"\xff" * (10 * MiB + 5), "image/jpeg")})
    assert big.status_code == 413 and big.json()["detail"]["reason"] == "image_too_large"
    assert "10485761" not in big.json()["detail"]["message"] and "10.0 MB" in big.json()["detail"]["message"]


def test_text_with_a_nul_character_is_refused_and_nothing_is_stored(client: TestClient) -> None:
    door = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Lobby\x00"})
    assert (door.status_code, door.json()["detail"]["reason"]) == (422, "invalid_request")
    person = client.post("/v1/people", headers=ADMIN, data={"name": "Ann\x00"},
                         files=[("images", ("a.jpg", read(photos("Colin_Powell")[0]), "image/jpeg"))])
    assert person.status_code == 422
    listed = client.get("/v1/people", headers=ADMIN, params={"name": "\x00"})
    assert listed.status_code == 422
    assert client.get("/v1/people", headers=ADMIN).json()["total"] == 0
    assert [d["name"] for d in client.get("/v1/admin/doors", headers=ADMIN).json()] == []


def test_a_fault_during_verification_is_audited_as_internal_error(client: TestClient,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Fault injection: nothing real fails on demand, so the face worker is made to raise.
    door = default_door(client)
    terminal = make_key(client, "terminal", door)

    def broken(_: list[bytes]) -> list:
        raise RuntimeError("the face worker broke")

    monkeypatch.setattr(client.app.state.runtime.face_worker, "analyze", broken)
    plain = TestClient(client.app, raise_server_exceptions=False)  # the running app: no second start-up
    answer = plain.post("/v1/access/verify", headers=terminal,
                        files={"image": ("a.jpg", read(photos("Colin_Powell")[0]), "image/jpeg")})
    assert answer.status_code == 500 and answer.json()["detail"]["reason"] == "internal_error"
    assert "RuntimeError" not in answer.text and "broke" not in answer.text
    events = client.get("/v1/admin/events", headers=ADMIN, params={"reason": "internal_error"}).json()["items"]
    assert len(events) == 1 and events[0]["door_id"] == door and events[0]["decision"] == "reject"


def test_calibrating_an_empty_gallery_is_not_enough_data(client: TestClient) -> None:
    answer = client.post("/v1/admin/calibrate", headers=ADMIN, json={})
    assert (answer.status_code, answer.json()["detail"]["reason"]) == (422, "not_enough_data")


def test_the_body_caps_follow_the_settings(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, max_upload_bytes=MiB, max_images_per_enrollment=2)
    with TestClient(create_app(settings)) as small:
        three = small.post("/v1/people", headers=ADMIN, data={"name": "Ann"},
                           files=[("images", (f"{i}.jpg", b"x", "image/jpeg")) for i in range(3)])
        assert three.status_code == 422 and "Maximum number of files is 2" in three.json()["detail"]["message"]
        big = small.post("/v1/people", headers=ADMIN, data={"name": "Ann"},
                         files=[("images", ("a.jpg", b"x" * (4 * MiB), "image/jpeg"))])
        assert big.status_code == 413 and big.json()["detail"]["reason"] == "request_too_large"


def test_every_operation_with_a_body_documents_its_413(client: TestClient) -> None:
    operations = [op for ops in client.get("/openapi.json").json()["paths"].values() for op in ops.values()
                  if "requestBody" in op]
    assert len(operations) >= 10
    assert all("request_too_large" in op["responses"]["413"]["description"] for op in operations)
