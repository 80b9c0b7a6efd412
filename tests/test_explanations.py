"""Prototype explanations through HTTP on real photos: the overlay names the template that decided."""
from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from app.access.crops import EventCrop
from tests.helpers import ADMIN, enroll, make_key, photos, read, verify

ALICE, BOB, STRANGER = "Colin_Powell", "Tony_Blair", "Donald_Rumsfeld"


def _crops(client: TestClient) -> int:
    with client.app.state.runtime.db.session() as s:
        return s.scalar(select(func.count()).select_from(EventCrop))


def test_admitted_decision_is_explained_by_the_template_it_matched(client: TestClient) -> None:
    alice = enroll(client, "Alice", photos(ALICE)[:2], badge_id="B-100")["person"]
    enroll(client, "Bob", photos(BOB)[:2], badge_id="B-200")["person"]
    terminal = make_key(client, "terminal")
    answer = verify(client, read(photos(ALICE)[5]), terminal)
    assert answer["decision"] == "admit" and answer["person"]["id"] == alice["id"]

    response = client.get(f"/v1/admin/events/{answer['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    template_id = int(response.headers["x-template-id"])
    assert int(response.headers["x-person-id"]) == alice["id"]
    assert template_id in {t["id"] for t in alice["templates"]}
    pipeline, gallery = client.app.state.runtime.pipeline, client.app.state.runtime.gallery
    probe = pipeline.embed([pipeline.door_chip(read(photos(ALICE)[5]))])[0]
    assert template_id == gallery.distance_to(alice["id"], probe).template_id  # the nearest of her two
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (450, 150)  # probe | prototype | overlay, 150 px chips
    assert -1.0 <= float(response.headers["x-mean-cell-similarity"]) <= 1.0

    # a badge mismatch names the template of whom the face matched
    mismatch = verify(client, read(photos(ALICE)[6]), terminal, badge_id="B-200")
    assert mismatch["reason"] == "badge_mismatch"
    response = client.get(f"/v1/admin/events/{mismatch['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 200 and int(response.headers["x-person-id"]) == alice["id"]
    assert int(response.headers["x-template-id"]) in {t["id"] for t in alice["templates"]}


def test_rejected_or_unknown_events_have_no_explanation(client: TestClient) -> None:
    enroll(client, "Alice", photos(ALICE)[:2])
    terminal = make_key(client, "terminal")
    before = _crops(client)
    stranger = verify(client, read(photos(STRANGER)[0]), terminal)
    assert stranger["reason"] == "no_match"
    assert _crops(client) == before  # a stranger's face is not kept
    response = client.get(f"/v1/admin/events/{stranger['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 404 and response.json()["detail"]["reason"] == "no_explanation"
    response = client.get("/v1/admin/events/999999/explanation", headers=ADMIN)
    assert response.status_code == 404 and response.json()["detail"]["reason"] == "unknown_event"
    assert client.get(f"/v1/admin/events/{stranger['event_id']}/explanation", headers=terminal).status_code == 403
    # the template that decided an admission is removed: the explanation goes with it
    person = enroll(client, "Carol", photos(BOB)[:1])["person"]
    admitted = verify(client, read(photos(BOB)[5]), terminal)
    assert admitted["person"]["id"] == person["id"]
    assert client.delete(f"/v1/people/{person['id']}/faces/{person['templates'][0]['id']}",
                         headers=ADMIN).status_code in (200, 204)
    response = client.get(f"/v1/admin/events/{admitted['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 404 and response.json()["detail"]["reason"] == "no_explanation"
