"""Browser sessions, keys, face crops, the terminal's coarse verify and the docs schema, over real HTTP
semantics (TestClient) on a real database."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.web.docs import PUBLIC
from app.web.models import WebSession
from app.web.sessions import token_hash
from tests.helpers import ADMIN, ADMIN_KEY, LFW, auth, enroll, make_key, photos, read, validation_people


def _sign_in(client: TestClient, key: str = ADMIN_KEY) -> str:
    response = client.post("/web/session", json={"key": key})
    assert response.status_code == 200, response.text
    return response.cookies.get("fg_csrf") or client.cookies.get("fg_csrf")


def _rows(client: TestClient) -> list[WebSession]:
    with client.app.state.runtime.db.session() as session:
        return list(session.scalars(select(WebSession)))


def test_session_cookie_csrf_and_sign_out(client: TestClient) -> None:
    refused = client.post("/web/session", json={"key": "fg_not_a_key"})
    assert refused.status_code == 401 and refused.json()["detail"]["reason"] == "invalid_key"
    assert _rows(client) == []

    response = client.post("/web/session", json={"key": ADMIN_KEY})
    assert response.status_code == 200 and ADMIN_KEY not in response.text
    assert response.json()["role"] == "admin"
    set_cookie = "; ".join(response.headers.get_list("set-cookie"))
    assert "fg_session=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    token, csrf = client.cookies.get("fg_session"), client.cookies.get("fg_csrf")
    [row] = _rows(client)
    assert row.token_hash == token_hash(token) and row.csrf_hash == token_hash(csrf)  # only hashes are stored

    assert client.get("/web/session").json()["role"] == "admin"
    assert client.get("/v1/admin/doors").status_code == 200  # the cookie alone authenticates a read
    for headers in ({}, {"x-csrf-token": "forged"}):
        forged = client.post("/v1/admin/doors", json={"name": "Side door"}, headers=headers)
        assert forged.status_code == 403 and forged.json()["detail"]["reason"] == "csrf_failed"
    assert client.get("/v1/admin/doors").json() == []  # nothing changed
    assert client.post("/v1/admin/doors", json={"name": "Side door"}, headers={"x-csrf-token": csrf}).status_code == 201

    assert client.delete("/web/session", headers={"x-csrf-token": csrf}).status_code == 204
    assert _rows(client) == []
    client.cookies.set("fg_session", token)  # a copied cookie is worth nothing after sign-out
    ended = client.get("/v1/admin/doors")
    assert ended.status_code == 401 and ended.json()["detail"]["reason"] == "session_expired"


def test_keys_created_once_and_revocation_ends_sessions(client: TestClient) -> None:
    door = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Lobby"}).json()
    bad = client.post("/v1/admin/keys", headers=ADMIN, json={"name": "x", "role": "enroll", "door_id": door["id"]})
    assert bad.status_code == 422
    missing = client.post("/v1/admin/keys", headers=ADMIN, json={"name": "x", "role": "terminal", "door_id": 999})
    assert missing.status_code == 404 and missing.json()["detail"]["reason"] == "unknown_door"
    created = client.post("/v1/admin/keys", headers=ADMIN, json={"name": "desk", "role": "enroll"})
    assert created.status_code == 201
    secret, key_id = created.json()["key"], created.json()["id"]
    listed = client.get("/v1/admin/keys", headers=ADMIN)
    assert secret not in listed.text and {k["id"] for k in listed.json()} >= {key_id}

    csrf = _sign_in(client, secret)
    assert client.get("/v1/people").status_code == 200
    assert client.get("/v1/admin/doors").status_code == 403  # an enrol key's session keeps its role
    assert client.delete(f"/v1/admin/keys/{key_id}", headers=ADMIN).status_code == 204
    revoked = client.get("/v1/people", headers={"x-csrf-token": csrf})
    assert revoked.status_code == 401  # the session ends with its key, on every replica
    assert client.delete("/v1/admin/keys/999", headers=ADMIN).json()["detail"]["reason"] == "unknown_key"


def test_terminal_is_told_little_and_crops_stay_with_staff(client: TestClient) -> None:
    member, stranger = validation_people(LFW, 2)
    person = enroll(client, "Member", photos(member)[:2], badge_id="100")["person"]
    door = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Lobby"}).json()
    terminal = make_key(client, "terminal", door["id"])

    def door_answer(image: bytes, headers: dict, **form) -> dict:
        response = client.post("/web/terminal/verify", headers=headers, data=form,
                               files={"image": ("frame.jpg", image, "image/jpeg")})
        assert response.status_code == 200, response.text
        return response.json()

    def shown(answer: dict) -> tuple:
        assert set(answer) == {"decision", "reason", "display_name", "event_id"}
        return answer["decision"], answer["reason"], answer["display_name"]

    assert shown(door_answer(read(photos(member)[3]), terminal)) == ("admit", "admitted", "Member")
    assert shown(door_answer(read(photos(stranger)[0]), terminal, badge_id="100")) == ("reject", "not_recognised", None)
    assert shown(door_answer(b"not a jpeg", terminal)) == ("reject", "look_again", None)
    events = client.get("/v1/admin/events", headers=ADMIN).json()
    assert [e["reason"] for e in events["items"]][:1] == ["not_an_image"]  # still audited in full
    admin_at_no_door = client.post("/web/terminal/verify", headers=ADMIN,
                                   files={"image": ("f.jpg", read(photos(member)[3]), "image/jpeg")})
    assert admin_at_no_door.status_code == 403  # the terminal page speaks for one door only

    crop = f"/v1/people/{person['id']}/faces/{person['templates'][0]['id']}/crop.png"
    for headers in (ADMIN, make_key(client, "enroll")):
        response = client.get(crop, headers=headers)
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    assert client.get(crop, headers=terminal).status_code == 403
    other = client.get(f"/v1/people/{person['id'] + 1}/faces/{person['templates'][0]['id']}/crop.png", headers=ADMIN)
    assert other.status_code == 404 and other.json()["detail"]["reason"] == "unknown_template"


def test_openapi_declares_bearer_and_errors(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "an API key: fg_..."}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            if (method, path) in PUBLIC:
                assert operation["security"] == []
                continue
            assert operation["security"] == [{"bearer": []}], (method, path)
            assert {"401", "403", "422"} <= set(operation["responses"]), (method, path)
    pages = {path: client.get(path) for path in ("/", "/terminal", "/docs", "/redoc")}
    assert all(r.status_code == 200 and "text/html" in r.headers["content-type"] for r in pages.values())
    assert "script-src 'self'" in pages["/"].headers["content-security-policy"]
    assert "cdn" not in pages["/docs"].text and "/web/static/vendor/swagger-ui-bundle.js" in pages["/docs"].text
    assert client.get("/web/static/vendor/redoc.standalone.js").status_code == 200
    assert client.get("/v1/people", headers=auth("fg_wrong")).json()["detail"]["reason"] == "invalid_key"
