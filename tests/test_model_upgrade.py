"""Model upgrades without re-enrolment: people enrolled under v1 over HTTP, their loose crops
re-embedded to v2 by the `facegate` command, the report, the switch a running server follows,
rollback, prune, and the loose crop's encryption and erasure."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.core.settings import Settings
from app.face.encoder import Encoder
from app.face.factory import serving_pipelines
from tests.helpers import ADMIN, LFW, REPO_ROOT, photos, server, server_door, validation_people

V1 = "dlib-resnet-mtcnn-v1"
V2 = "dlib-resnet-mtcnn-v2"
V1_CARD = REPO_ROOT / "models" / f"{V1}.json"
CODE = {"PYTHONPATH": str(REPO_ROOT)}  # the checkout under test, for the command and the server alike


def test_a_loose_crop_aligns_again_like_the_photo(tmp_path: Path) -> None:
    """Re-aligning the loose crop with the same template gives (nearly) the enrolment vector, and
    with v2's template (nearly) what v2 would make from the photo itself."""
    settings = Settings(data_dir=tmp_path, model_card=V1_CARD, face_workers=1)
    pipeline = serving_pipelines(settings)[0]
    v2 = Encoder.load_onnx(REPO_ROOT / "models" / f"{V2}.json")
    person = validation_people(LFW, 1)[0]
    face = pipeline.door_chip(photos(person)[0].read_bytes())
    loose = face.loose_crop()
    assert loose is not None and loose.landmarks.shape == (5, 2)
    assert max(loose.image.shape[:2]) <= 256
    again = pipeline.encoder.embed(loose.align(pipeline.encoder.alignment.template, 150)[None])[0]
    assert np.linalg.norm(again - pipeline.embed([face])[0]) < 0.05
    direct = v2.embed(pipeline.door_chip(photos(person)[0].read_bytes()).chip[None])[0]  # v1 chip: differs
    from app.face.align import align_face
    from PIL import Image

    photo = Image.open(photos(person)[0]).convert("RGB")
    v2_direct = v2.embed(align_face(photo, face.detection.landmarks, v2.alignment.template, 150)[None])[0]
    v2_loose = v2.embed(loose.align(v2.alignment.template, 150)[None])[0]
    assert np.linalg.norm(v2_loose - v2_direct) < 0.05 < np.linalg.norm(direct - v2_direct)


def _facegate(env: dict[str, str], *args: str) -> tuple[int, dict | None, str]:
    done = subprocess.run([str(Path(sys.executable).parent / "facegate"), *args], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    out = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, out, done.stderr


def _enrol(url: str, name: str, files: list[Path]) -> dict:
    response = httpx.post(f"{url}/v1/people", headers=ADMIN, data={"name": name}, timeout=120,
                          files=[("images", (p.name, p.read_bytes(), "image/jpeg")) for p in files])
    assert response.status_code == 201, response.text
    return response.json()


def _verify(url: str, door: int, photo: Path) -> dict:
    response = httpx.post(f"{url}/v1/access/verify", headers=ADMIN, data={"door_id": door}, timeout=60,
                          files={"image": ("probe.jpg", photo.read_bytes(), "image/jpeg")})
    assert response.status_code == 200, response.text
    return response.json()


def _wait_for_model(url: str, model_id: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        ready = httpx.get(f"{url}/readyz", timeout=5)
        if ready.status_code == 200 and ready.json()["model"] == model_id:
            return ready.json()
        assert time.monotonic() < deadline, f"server still on {ready.json()}"
        time.sleep(0.3)


def test_reembed_report_switch_rollback_prune(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {**os.environ, "FACEGATE_DATABASE_URL": database_url, "FACEGATE_DATA_DIR": str(data_dir),
           "FACEGATE_MODEL_CARD": str(V1_CARD), "FACEGATE_LOG_LEVEL": "WARNING", **CODE}
    people = validation_people(LFW, 5, min_photos=5)
    with server(database_url, data_dir, FACEGATE_MODEL_CARD=str(V1_CARD), **CODE) as (url, _):
        door = server_door(url)
        enrolled = {name: _enrol(url, name, photos(name)[:3])["person"]["id"] for name in people[:4]}

        code, out, err = _facegate(env, "models", "switch", "--model", V2)
        assert code == 1 and "unknown_model" in err  # nothing re-embedded yet

        code, out, err = _facegate(env, "models", "reembed", "--model", V2)
        assert code == 0, err
        assert (out["from"], out["to"], out["reembedded"], out["without_loose_crop"]) == (V1, V2, 12, [])
        report = out["report"]
        assert report["from"]["templates"] == report["to"]["templates"] == 12
        assert report["probes"] == 12 and report["people_probed"] == 4 and report["missing_templates"] == 0
        for kind in ("badge", "face_only"):
            changes = report[kind]
            assert changes["admitted_after"] - changes["admitted_before"] == \
                changes["flips_to_admit"] - changes["flips_to_reject"]
        assert report["badge"]["admitted_after"] >= 10  # three photos each of four held-out people
        assert _wait_for_model(url, V1)["templates"] == 12  # the doors still use v1's set only

        # someone enrolled after the re-embedding: the new set lacks them, so the switch waits
        late = _enrol(url, people[4], photos(people[4])[:3])["person"]["id"]
        code, _, err = _facegate(env, "models", "switch", "--model", V2)
        assert code == 1 and "model_set_incomplete" in err
        code, out, err = _facegate(env, "models", "reembed", "--model", V2)
        assert code == 0 and out["reembedded"] == 3, err  # only what was missing
        # removing a photo removes it from both sets
        person = httpx.get(f"{url}/v1/people/{late}", headers=ADMIN, timeout=30).json()
        assert sorted(t["model_id"] for t in person["templates"]) == [V1] * 3 + [V2] * 3
        first = next(t["id"] for t in person["templates"] if t["model_id"] == V1)
        assert httpx.delete(f"{url}/v1/people/{late}/faces/{first}", headers=ADMIN, timeout=30).status_code == 204
        person = httpx.get(f"{url}/v1/people/{late}", headers=ADMIN, timeout=30).json()
        assert sorted(t["model_id"] for t in person["templates"]) == [V1] * 2 + [V2] * 2

        code, out, err = _facegate(env, "models", "switch", "--model", V2)
        assert code == 0, err
        assert (out["model_id"], out["previous_model_id"]) == (V2, V1)
        assert _wait_for_model(url, V2)["templates"] == 14
        for name, person_id in enrolled.items():
            answer = _verify(url, door, photos(name)[4])
            assert (answer["decision"], answer["person"]["id"]) == ("admit", person_id), answer
            assert answer["threshold"] <= json.loads((REPO_ROOT / "models" / f"{V2}.json").read_text())[
                "recommended_threshold"]  # v2's card, or its stricter face-only bound

        code, out, err = _facegate(env, "models", "prune", "--model", V2)
        assert code == 1 and "in_use" in err  # the set in force is never deleted

        code, out, err = _facegate(env, "models", "switch", "--rollback")
        assert code == 0 and (out["model_id"], out["previous_model_id"]) == (V1, V2), err
        assert _wait_for_model(url, V1)["templates"] == 14
        name = people[0]
        answer = _verify(url, door, photos(name)[4])
        assert (answer["decision"], answer["person"]["id"]) == ("admit", enrolled[name]), answer

        code, out, err = _facegate(env, "models", "prune", "--model", V2)
        assert code == 0 and out == {"model_id": V2, "templates_deleted": 14}, err
        code, _, err = _facegate(env, "models", "switch", "--rollback")
        assert code == 1 and "no_previous_model" in err

        engine = create_engine(database_url)
        with engine.connect() as c:
            rows = c.execute(text("SELECT loose_png, loose_geometry, model_id FROM face_template")).all()
        assert len(rows) == 14 and {r.model_id for r in rows} == {V1}
        for row in rows:
            stored = bytes(row.loose_png)
            assert not stored.startswith(b"\x89PNG") and b"IHDR" not in stored  # sealed, not a PNG
            geometry = row.loose_geometry if isinstance(row.loose_geometry, dict) else json.loads(row.loose_geometry)
            assert np.asarray(geometry["landmarks"]).shape == (5, 2)

        assert httpx.delete(f"{url}/v1/people/{late}", headers=ADMIN, timeout=30).status_code == 204
        with engine.connect() as c:
            left = c.execute(text("SELECT count(*) FROM face_template WHERE person_id = :p"), {"p": late}).scalar()
        engine.dispose()
        assert left == 0


def test_models_commands_called_wrongly_or_refused_say_why(tmp_path: Path, database_url: str) -> None:
    env = {**os.environ, "FACEGATE_DATABASE_URL": database_url, "FACEGATE_DATA_DIR": str(tmp_path),
           "FACEGATE_MODEL_CARD": str(V1_CARD), **CODE}
    assert _facegate(env, "migrate")[0] == 0
    code, _, err = _facegate(env, "models", "switch")
    assert code == 2 and "--model CARD or --rollback" in err
    code, _, err = _facegate(env, "models", "reembed", "--model", "no-such-model")
    assert code == 1 and "unknown_model" in err
    code, _, err = _facegate(env, "models", "reembed", "--model", V1)
    assert code == 1 and "in_use" in err
    code, _, err = _facegate(env, "models", "prune", "--model", V2)
    assert code == 1 and "unknown_model" in err


def test_loose_crops_are_rotated_and_carried_by_backup_with_the_model_in_force(
        client: TestClient, tmp_path: Path, other_database_url: str) -> None:
    from app.backup import backup, restore
    from app.core.db import Database
    from app.core.migrate import upgrade_database
    from app.gallery.model_sets import pin_model
    from app.gallery.models import ActiveModel, FaceTemplate
    from app.people.crops import open_loose, reseal_crops
    from tests.helpers import enroll

    enroll(client, "Alice", photos("Colin_Powell")[:2])
    runtime = client.app.state.runtime
    keys = runtime.data_keys
    with runtime.db.session() as session:
        pin_model(session, runtime.model_id)
        session.commit()
        old_key = keys.current
        keys.add_key()
        assert reseal_crops(session, keys, only_plain=False) == 2
        stored = [t.loose_png for t in session.query(FaceTemplate).order_by(FaceTemplate.id)]
    assert all(keys.key_of(s) != old_key and open_loose(keys, s).startswith(b"\x89PNG") for s in stored)

    out = tmp_path / "backup.fgb"
    backup(runtime.db, out, keys)
    upgrade_database(other_database_url)
    target = Database(other_database_url)
    restore(target, out, keys, runtime.chain)
    with target.session() as session:
        assert session.get(ActiveModel, 1).model_id == runtime.model_id
        restored = [(t.loose_png, t.loose_geometry) for t in session.query(FaceTemplate).order_by(FaceTemplate.id)]
    target.engine.dispose()
    assert [s for s, _ in restored] == stored and all(len(g["landmarks"]) == 5 for _, g in restored)


def test_an_enrolment_analysed_before_a_switch_stores_nothing(client: TestClient) -> None:
    """A replica that has not loaded the model in force yet refuses to store templates of the old
    one, and says it is not ready."""
    import pytest

    from app.core.reasons import MODEL_SWITCHED, DomainError
    from app.gallery.models import ActiveModel
    from app.people.models import Person
    from app.people.service import Enrolment, Upload, enroll

    runtime = client.app.state.runtime
    enrolment = Enrolment.of(runtime)
    with runtime.db.session() as session:
        session.add(ActiveModel(id=1, model_id="a-model-this-replica-lacks"))
        session.commit()
        uploads = [Upload(p.name, p.read_bytes()) for p in photos("Colin_Powell")[:2]]
        with pytest.raises(DomainError) as refused:
            enroll(session, enrolment, "Alice", None, None, uploads, allow_duplicate=False)
        assert refused.value.reason == MODEL_SWITCHED
        assert session.query(Person).count() == 0
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["model_in_force"] == "a-model-this-replica-lacks"


def test_templates_from_before_loose_crops_are_reported(
        tmp_path: Path, database_url: str, monkeypatch, capsys) -> None:  # noqa: ANN001 - pytest fixtures
    """A database at the previous head with a template (no loose crop): upgraded, `reembed` names
    it and its person, and a switch to the (empty) new set is refused."""
    import pytest
    from alembic import command

    from app.cli import main
    from app.core.migrate import alembic_config
    from app.core.settings import get_settings

    config = alembic_config()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003_security")
    vector = np.ones(128, np.float32) / np.sqrt(128)
    with engine.begin() as c:
        c.execute(text("INSERT INTO person (name, active, created_at, updated_at) VALUES ('Ann', true, :t, :t)"),
                  {"t": "2026-11-30 12:00:00"})
        c.execute(text("INSERT INTO face_template (person_id, vector, model_id, probability, face_px, sharpness, "
                       "created_at) VALUES (1, :v, :m, 0.99, 120, 50, :t)"),
                  {"v": vector.tobytes(), "m": V1, "t": "2026-11-30 12:00:00"})
    engine.dispose()
    for name, value in {"FACEGATE_DATABASE_URL": database_url, "FACEGATE_DATA_DIR": str(tmp_path),
                        "FACEGATE_MODEL_CARD": str(V1_CARD)}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        main(["models", "reembed", "--model", V2])
        out = json.loads(capsys.readouterr().out)
        assert out["reembedded"] == 0 and out["without_loose_crop"] == [{"template_id": 1, "person_id": 1}]
        assert out["report"]["missing_templates"] == 1 and out["report"]["people_without_templates"] == [1]
        capsys.readouterr()
        with pytest.raises(SystemExit) as refused:
            main(["models", "switch", "--model", V2])
        assert refused.value.code == 1 and "unknown_model" in capsys.readouterr().err  # the new set is empty
    finally:
        get_settings.cache_clear()
