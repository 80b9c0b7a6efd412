"""Calibration, events and doors through HTTP."""
from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from app.admin.calibration import CalibrationData, score_sets
from tests.helpers import ADMIN, enroll, photos, read, verify

PEOPLE = ["Colin_Powell", "Tony_Blair", "Gerhard_Schroeder", "Ariel_Sharon", "Hugo_Chavez"]


def test_calibration_threshold_keeps_far_on_gallery_pairs_below_target(client: TestClient) -> None:
    sizes = [len(enroll(client, f"P{i}", photos(name)[:4])["added_templates"]) for i, name in enumerate(PEOPLE)]
    templates = sum(sizes)
    genuine_pairs = sum(n * (n - 1) // 2 for n in sizes)
    for door_mode, level in ((None, "door"), ("badge", "pair")):
        body = {"target_far": 0.01}
        if door_mode:
            door = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Badge door", "mode": "badge"}).json()
            body["door_id"] = door["id"]
        result = client.post("/v1/admin/calibrate", headers=ADMIN, json=body).json()
        counts = result["counts"]
        assert counts["people"] == 5 and counts["templates"] == templates
        assert counts["genuine_pairs"] == genuine_pairs
        assert counts["impostor_pairs"] == templates * (templates - 1) // 2 - genuine_pairs
        assert result["basis"].startswith(level)
        assert result["estimated_far"] <= 0.01
        # Check the claim independently: recompute distances between gallery templates.
        _, persons, vectors = client.app.state.runtime.gallery.all_templates()
        scores = score_sets(CalibrationData(persons, vectors, np.empty(0), np.empty(0)))
        impostor = scores[f"{level}_impostor"]
        assert np.mean(impostor <= result["threshold"]) <= 0.01
        assert result["curve"] and {"threshold", "far", "frr"} <= set(result["curve"][0])
    applied = client.post("/v1/admin/calibrate", headers=ADMIN, json={"target_far": 0.01, "apply": True}).json()
    assert client.get("/v1/admin/threshold", headers=ADMIN).json()["threshold"] == applied["threshold"]
    png = client.get("/v1/admin/calibration.png", headers=ADMIN)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_calibration_plot_marks_target_recommendation_and_threshold_in_force(client: TestClient) -> None:
    for i, name in enumerate(PEOPLE[:4]):
        enroll(client, f"P{i}", photos(name)[:3])
    badge = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Badge door", "mode": "badge"}).json()
    client.put("/v1/admin/threshold", headers=ADMIN, json={"threshold": 0.33, "reason": "site policy"})
    for door_id in (None, badge["id"]):
        query = {"target_far": 0.02} | ({"door_id": door_id} if door_id else {})
        result = client.post("/v1/admin/calibrate", headers=ADMIN, json=query).json()
        png = client.get("/v1/admin/calibration.png", headers=ADMIN, params=query)
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.headers["x-target-far"] == "0.02"
        assert float(png.headers["x-recommended-threshold"]) == round(result["threshold"], 4)
        assert float(png.headers["x-current-threshold"]) == round(result["current_threshold"], 4) == 0.33
    refused = client.get("/v1/admin/calibration.png", headers=ADMIN, params={"target_far": 2})
    assert refused.status_code == 422


def test_labelled_events_feed_calibration(client: TestClient) -> None:
    for i, name in enumerate(PEOPLE[:3]):
        enroll(client, f"P{i}", photos(name)[:3])
    answer = verify(client, read(photos("Donald_Rumsfeld")[0]))
    labelled = client.patch(f"/v1/admin/events/{answer['event_id']}", headers=ADMIN, json={"label": "impostor"})
    assert labelled.status_code == 200 and labelled.json()["label"] == "impostor"
    result = client.post("/v1/admin/calibrate", headers=ADMIN, json={"target_far": 0.1}).json()
    assert result["counts"]["labelled_impostor"] == 1
    assert client.patch("/v1/admin/events/999", headers=ADMIN, json={"label": "genuine"}).status_code == 404


def test_events_filters_and_doors(client: TestClient) -> None:
    door = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Main"}).json()
    assert client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Main"}).status_code == 409
    renamed = client.patch(f"/v1/admin/doors/{door['id']}", headers=ADMIN, json={"name": "Main entrance"})
    assert renamed.json()["name"] == "Main entrance"
    enroll(client, "P0", photos(PEOPLE[0])[:3])
    verify(client, read(photos(PEOPLE[0])[5]), door_id=door["id"])
    verify(client, read(photos("Donald_Rumsfeld")[0]))
    admits = client.get("/v1/admin/events?decision=admit", headers=ADMIN).json()
    at_door = client.get(f"/v1/admin/events?door_id={door['id']}", headers=ADMIN).json()
    assert admits["total"] == 1 and at_door["total"] == 1
    assert admits["items"][0]["model_id"] == client.app.state.runtime.model_id
    assert admits["items"][0]["latency_ms"] > 0
    assert client.get("/v1/admin/events?since=2999-01-01T00:00:00Z", headers=ADMIN).json()["total"] == 0
