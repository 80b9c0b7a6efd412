"""Calibration, events and doors through HTTP."""
from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from app.admin.calibration import CalibrationData, calibrate, score_sets
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


def clustered_gallery(people: int, per_person: int, seed: int = 0) -> CalibrationData:
    """Unit vectors scattered around one centre per person (shuffled, as a gallery is)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 32))
    vectors = np.repeat(centres, per_person, axis=0) + 0.6 * rng.normal(size=(people * per_person, 32))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    order = rng.permutation(people * per_person)
    return CalibrationData(np.repeat(np.arange(people), per_person)[order], vectors.astype(np.float32)[order],
                           np.empty(0), np.empty(0))


def test_scores_are_every_pair_and_every_nearest_neighbour() -> None:
    data = clustered_gallery(30, 4)
    persons, vectors = data.person_ids, data.vectors.astype(np.float64)
    dist = np.sqrt(np.clip(2 - 2 * vectors @ vectors.T, 0, None))
    same, upper = persons[:, None] == persons[None, :], np.triu(np.ones_like(dist, dtype=bool), k=1)
    scores = score_sets(data)
    assert np.allclose(np.sort(scores["pair_genuine"]), np.sort(dist[same & upper]), atol=1e-5)
    assert np.allclose(np.sort(scores["pair_impostor"]), np.sort(dist[~same & upper]), atol=1e-5)
    np.fill_diagonal(dist, np.inf)
    assert np.allclose(scores["door_genuine"], np.where(same, dist, np.inf).min(axis=1), atol=1e-5)
    assert np.allclose(scores["door_impostor"], np.where(same, np.inf, dist).min(axis=1), atol=1e-5)
    assert not scores["pairs_sampled"] and not scores["probes_sampled"]


def test_large_galleries_are_sampled_with_the_same_distribution() -> None:
    data = clustered_gallery(300, 3)
    exact = score_sets(data)
    sampled = score_sets(data, max_impostor_pairs=20_000, max_door_probes=150)
    assert sampled["pairs_sampled"] and sampled["probes_sampled"]
    assert 19_000 < len(sampled["pair_impostor"]) <= 20_000 and len(sampled["door_impostor"]) == 150
    assert np.allclose(np.sort(sampled["pair_genuine"]), np.sort(exact["pair_genuine"]), atol=1e-5)
    for level, tolerance in (("pair_impostor", 0.01), ("door_impostor", 0.03)):
        quantiles = (0.05, 0.5, 0.95)
        assert np.abs(np.quantile(sampled[level], quantiles) - np.quantile(exact[level], quantiles)).max() < tolerance


def test_door_rate_is_stricter_than_pair_rate() -> None:
    data = clustered_gallery(40, 3)
    door = calibrate(data, 0.05, face_only=True)
    pair = calibrate(data, 0.05, face_only=False)
    assert door["threshold"] < pair["threshold"]  # a stranger meets everyone at a face-only door
    assert door["door_fpir_measured"] <= 0.05 and pair["pair_far"] <= 0.05


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
