"""Prototype explanations through HTTP on real photos: the overlay names the template that decided,
the probe crop it needs is sealed at rest and purged with its event, and the cell-attribution graph
is the gradient autograd computes."""
from __future__ import annotations

import io
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from app.access.crops import EventCrop, open_event_crop
from app.access.models import AccessEvent
from app.face.explain import LEGEND_HEIGHT
from app.security.crypto import is_sealed
from app.security.retention import purge_before
from tests.helpers import ADMIN, enroll, make_key, photos, read, verify

ALICE, BOB, STRANGER = "Colin_Powell", "Tony_Blair", "Donald_Rumsfeld"


def _crops(client: TestClient) -> int:
    with client.app.state.runtime.db.session() as s:
        return s.scalar(select(func.count()).select_from(EventCrop))


def test_admitted_decision_is_explained_by_the_template_it_matched(client: TestClient) -> None:
    alice = enroll(client, "Alice", photos(ALICE)[:2], badge_id="B-100")["person"]
    enroll(client, "Bob", photos(BOB)[:2], badge_id="B-200")["person"]
    answer = verify(client, read(photos(ALICE)[5]))  # an admin key: the answer names the person
    assert answer["decision"] == "admit" and answer["person"]["id"] == alice["id"]

    response = client.get(f"/v1/admin/events/{answer['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    template_id = int(response.headers["x-template-id"])
    assert int(response.headers["x-person-id"]) == alice["id"]
    assert template_id in {t["id"] for t in alice["templates"]}
    pipeline, gallery = client.app.state.runtime.pipeline, client.app.state.runtime.gallery
    probe = pipeline.embed([pipeline.door_chip(read(photos(ALICE)[5]))])[0]
    assert template_id == gallery.distance_to(alice["id"], probe).template_id  # the nearest of her two
    image = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))
    assert image.shape == (150 + LEGEND_HEIGHT, 450, 3)  # probe | prototype | overlay, 150 px chips; legend
    probe_panel, overlay = image[:150, :150].astype(int), image[:150, 300:].astype(int)
    assert np.abs(probe_panel - overlay).mean() > 10  # the map is drawn over the probe
    legend = image[150:]
    assert legend[4:14, 10].tolist() != legend[4:14, -11].tolist()  # the colour bar runs blue to red
    # the map explains the decision's own comparison: the same distance the door answered
    assert abs(float(response.headers["x-distance"]) - answer["distance"]) < 2e-3
    cosine = float(response.headers["x-embedding-cosine"])
    assert abs(np.sqrt(2 - 2 * cosine) - float(response.headers["x-distance"])) < 1e-3

    # a badge mismatch names the template of whom the face matched
    mismatch = verify(client, read(photos(ALICE)[6]), badge_id="B-200")
    assert mismatch["reason"] == "badge_mismatch"
    response = client.get(f"/v1/admin/events/{mismatch['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 200 and int(response.headers["x-person-id"]) == alice["id"]
    assert int(response.headers["x-template-id"]) in {t["id"] for t in alice["templates"]}


def test_rejected_or_unknown_events_have_no_explanation(client: TestClient) -> None:
    enroll(client, "Alice", photos(ALICE)[:2])
    terminal = make_key(client, "terminal")
    before = _crops(client)
    stranger = verify(client, read(photos(STRANGER)[0]))
    assert stranger["reason"] == "no_match"
    assert _crops(client) == before  # a stranger's face is not kept
    response = client.get(f"/v1/admin/events/{stranger['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 404 and response.json()["detail"]["reason"] == "no_explanation"
    response = client.get("/v1/admin/events/999999/explanation", headers=ADMIN)
    assert response.status_code == 404 and response.json()["detail"]["reason"] == "unknown_event"
    assert client.get(f"/v1/admin/events/{stranger['event_id']}/explanation", headers=terminal).status_code == 403
    # the template that decided an admission is removed: the explanation goes with it
    person = enroll(client, "Carol", photos(BOB)[:1])["person"]
    admitted = verify(client, read(photos(BOB)[5]))
    assert admitted["person"]["id"] == person["id"]
    assert client.delete(f"/v1/people/{person['id']}/faces/{person['templates'][0]['id']}",
                         headers=ADMIN).status_code in (200, 204)
    response = client.get(f"/v1/admin/events/{admitted['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 404 and response.json()["detail"]["reason"] == "no_explanation"


def test_probe_crops_are_sealed_at_rest_and_purged_with_their_event(client: TestClient) -> None:
    enroll(client, "Alice", photos(ALICE)[:2])
    terminal = make_key(client, "terminal")
    first, second = (verify(client, read(p), terminal) for p in photos(ALICE)[5:7])
    runtime = client.app.state.runtime
    with runtime.db.session() as s:
        stored = s.get(EventCrop, first["event_id"])
        assert is_sealed(stored.chip_png) and b"PNG" not in stored.chip_png
        assert open_event_crop(runtime.data_keys, stored).startswith(b"\x89PNG")
        # retention purges what was written before the second event, the first's crop with it
        cutoff = s.get(AccessEvent, second["event_id"]).created_at
        assert purge_before(s, runtime.chain, AccessEvent, cutoff) >= 1
    with runtime.db.session() as s:
        left = set(s.scalars(select(EventCrop.event_id)))
    assert first["event_id"] not in left and second["event_id"] in left
    response = client.get(f"/v1/admin/events/{first['event_id']}/explanation", headers=ADMIN)
    assert response.status_code == 404 and response.json()["detail"]["reason"] == "unknown_event"
    assert client.get(f"/v1/admin/events/{second['event_id']}/explanation", headers=ADMIN).status_code == 200


def test_the_cell_graph_is_the_autograd_gradient_x_feature_on_real_chips(client: TestClient) -> None:
    import torch

    from app.face.cell_attribution import EXPLAIN_BLOCKS, CellAttribution
    from app.face.encoder import Encoder
    from app.face.explain import CellExplainer

    card = client.app.state.runtime.settings.model_card
    pipeline = client.app.state.runtime.pipeline
    probe, template = (pipeline.door_chip(read(p)).chip for p in (photos(ALICE)[5], photos(ALICE)[0]))
    network = Encoder.load(card).network
    views = np.stack([probe, template, probe[:, ::-1], template[:, ::-1]])
    batch = torch.from_numpy(np.ascontiguousarray(views.transpose(0, 3, 1, 2), np.float32))
    features = network.trunk(batch, EXPLAIN_BLOCKS).detach().requires_grad_(True)
    x = features
    for block in list(network.blocks)[EXPLAIN_BLOCKS:]:
        x = block(x)
    raw = network.fc(x.mean(dim=(2, 3)))
    embeddings = torch.nn.functional.normalize(raw[:2] + raw[2:], dim=1)
    cosine = (embeddings[0] * embeddings[1]).sum()
    (gradient,) = torch.autograd.grad(cosine, features)
    want = (features * gradient).sum(1).detach().numpy()
    with torch.no_grad():
        cells = CellAttribution(network)(batch)[0].numpy()
    assert np.abs(cells - want).max() <= 1e-5 * np.abs(want).max()
    cell_map = CellExplainer.load(card).explain(probe, template)  # the served ONNX graph
    expected = want[0] + want[1] + want[2][:, ::-1] + want[3][:, ::-1]
    assert np.abs(cell_map.pull - expected).max() <= 1e-3 * np.abs(expected).max()
    assert abs(cell_map.cosine - float(cosine.detach())) < 1e-5
    vectors = pipeline.embed([pipeline.door_chip(read(p)) for p in (photos(ALICE)[5], photos(ALICE)[0])])
    assert abs(cell_map.cosine - float(vectors[0] @ vectors[1])) < 1e-4  # the door's own comparison
