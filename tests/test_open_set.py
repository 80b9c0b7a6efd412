"""Face-only doors through HTTP: several frames, the uncalibrated default, calibration the gallery cannot fool."""
from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from app.admin.calibration import CalibrationData, calibrate
from app.face.open_set import OpenSetCard
from tests.helpers import ADMIN, default_door, enroll, make_key, photos, read

PEOPLE = ["Colin_Powell", "Tony_Blair", "Gerhard_Schroeder"]


def _frames(client: TestClient, files: list, headers: dict, **form):
    return client.post("/v1/access/verify", headers=headers, data=form,
                       files=[("images", (f"f{i}.jpg", data, "image/jpeg")) for i, data in enumerate(files)])


def test_frames_are_fused_and_counted(client: TestClient) -> None:
    for i, name in enumerate(PEOPLE):
        enroll(client, f"P{i}", photos(name)[:3], badge_id=f"B-{i}")
    terminal = make_key(client, "terminal")
    frames = [read(p) for p in photos(PEOPLE[0])[5:8]]
    door = default_door(client)
    fused = _frames(client, frames, ADMIN, door_id=door)
    assert fused.status_code == 200, fused.text
    single = [client.post("/v1/access/verify", headers=ADMIN, data={"door_id": door},
                          files={"image": ("p.jpg", f, "image/jpeg")}).json() for f in frames]
    body = fused.json()
    assert body["decision"] == "admit" and body["person"]["name"] == "P0"
    assert body["distance"] <= np.median([s["distance"] for s in single]) + 1e-6  # averaging removes noise
    offset = client.app.state.runtime.open_set.frame_offset
    assert offset > 0 and abs(body["threshold"] - (single[0]["threshold"] - offset)) < 1e-9
    too_many = _frames(client, frames * 2, terminal)
    none = client.post("/v1/access/verify", headers=terminal, data={"badge_id": "B-0"})
    for answer in (too_many, none):
        assert answer.status_code == 422 and answer.json()["detail"]["reason"] == "image_count"


def test_an_uncalibrated_face_only_door_does_not_use_the_pair_threshold(client: TestClient) -> None:
    for i, name in enumerate(PEOPLE):
        enroll(client, f"P{i}", photos(name)[:3], badge_id=f"B-{i}")
    runtime = client.app.state.runtime
    probe = {"image": ("p.jpg", read(photos(PEOPLE[1])[6]), "image/jpeg")}
    face_door = default_door(client)
    badge_door = client.post("/v1/admin/doors", headers=ADMIN, json={"name": "Lab", "mode": "badge"}).json()["id"]
    face = client.post("/v1/access/verify", headers=ADMIN, data={"door_id": face_door}, files=probe).json()
    badge = client.post("/v1/access/verify", headers=ADMIN, data={"badge_id": "B-1", "door_id": badge_door},
                        files=probe).json()
    assert face["threshold"] == runtime.thresholds.face_only_default(len(runtime.gallery))
    assert face["threshold"] < badge["threshold"] == runtime.thresholds.model_default
    client.put("/v1/admin/threshold", headers=ADMIN, json={"threshold": 0.3, "reason": "site choice"})
    chosen = client.post("/v1/access/verify", headers=ADMIN, data={"door_id": face_door}, files=probe).json()
    assert chosen["threshold"] == 0.3  # an admin's threshold is the admin's


def test_face_only_calibration_takes_strangers_from_the_card_not_the_gallery(client: TestClient) -> None:
    for i, name in enumerate(PEOPLE):
        enroll(client, f"P{i}", photos(name)[:4])
    result = client.post("/v1/admin/calibrate", headers=ADMIN, json={"target_far": 0.001}).json()
    card = client.app.state.runtime.open_set
    templates = result["counts"]["templates"]
    assert result["resolvable"] and result["estimates"]["card"]["applicable"]
    assert not result["estimates"]["site_pairs"]["applicable"]  # a few pairs cannot resolve 1e-3 / N
    assert result["threshold"] <= card.threshold_for(0.001, templates)
    assert result["estimated_far"] <= 0.001 and card.search_rate(result["threshold"], templates) <= 0.001
    assert {"threshold", "far", "frr"} <= set(result["curve"][0])
    far_low, far_high = result["estimated_far_95"]
    assert far_low <= result["estimated_far"] == far_high  # the recommendation rests on the upper bound
    frr_low, frr_high = result["estimated_frr_95"]
    assert frr_low <= result["estimated_frr"] <= frr_high


def test_without_a_card_an_unresolvable_target_is_said_and_the_bound_returned() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 16))
    vectors = np.repeat(centres, 3, axis=0) + rng.normal(scale=0.2, size=(60, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    data = CalibrationData(np.repeat(np.arange(20), 3), vectors.astype(np.float32), np.empty(0), np.empty(0))
    result = calibrate(data, 1e-4, face_only=True, card=None)
    assert result["resolvable"] is False and result["resolution_note"]
    site = result["estimates"]["site_pairs"]
    assert site["fpir_at_recommendation"] <= 1e-4  # the bound the site's pairs allow, never above target


def test_the_card_bound_grows_with_the_gallery() -> None:
    grid = np.linspace(0.2, 0.5, 31)
    measured = np.exp((grid - 0.5) * 40) * 1e-2
    card = OpenSetCard(grid, 1.5 * measured, measured, 0.45, "test")
    rates = [card.search_rate(0.3, n) for n in (1, 10, 100, 1000)]
    assert rates == sorted(rates) and rates[0] < rates[-1]
    assert card.threshold_for(1e-3, 1000) < card.threshold_for(1e-3, 10)
    low, high = card.search_interval(0.3, 300)
    assert low < high == card.search_rate(0.3, 300)
