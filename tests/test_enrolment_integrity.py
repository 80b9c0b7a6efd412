"""Enrolment integrity through HTTP: one person per enrolment, one enrolment per person, also under races."""
from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.gallery.models import FaceTemplate
from app.people.models import Person
from tests.helpers import ADMIN, enroll, photos, read

ALICE, BOB, CAROL = "Colin_Powell", "Tony_Blair", "Donald_Rumsfeld"


def _files(*paths) -> list:
    return [("images", (p.name, read(p), "image/jpeg")) for p in paths]


def _counts(client: TestClient) -> tuple[int, int, int]:
    runtime = client.app.state.runtime
    with runtime.db.session() as s:
        return s.scalar(select(func.count(Person.id))), s.scalar(select(func.count(FaceTemplate.id))), \
            len(runtime.gallery)


def test_the_shipped_card_sets_the_integrity_thresholds(client: TestClient) -> None:
    card = client.app.state.runtime.open_set
    assert card is not None and 0.3 < card.same_person_max < 0.7
    small, large = card.threshold_for(1e-3, 10), card.threshold_for(1e-3, 10_000)
    assert large < small <= client.app.state.runtime.thresholds.model_default


def test_an_enrolment_of_two_people_keeps_the_agreeing_photos_and_names_the_outlier(client: TestClient) -> None:
    bob = enroll(client, "Bob", photos(BOB)[:3])["person"]
    body = enroll(client, "Alice", [*photos(ALICE)[:2], photos(BOB)[2]])  # a colleague's photo mixed in
    assert len(body["added_templates"]) == 2
    (refused,) = body["rejected"]
    assert refused["filename"] == photos(BOB)[2].name and refused["reason"] == "inconsistent_face"
    assert refused["resembles"]["id"] == bob["id"]
    assert [t["source_filename"] for t in body["person"]["templates"]] == [p.name for p in photos(ALICE)[:2]]


def test_two_photos_of_two_people_store_nothing(client: TestClient) -> None:
    before = _counts(client)
    answer = client.post("/v1/people", headers=ADMIN, data={"name": "Mixed"},
                         files=_files(photos(ALICE)[0], photos(CAROL)[0]))
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail["reason"] == "inconsistent_face"
    assert {r["reason"] for r in detail["rejected"]} == {"inconsistent_face"}
    assert _counts(client) == before


def test_an_added_face_of_someone_else_is_refused(client: TestClient) -> None:
    alice = enroll(client, "Alice", photos(ALICE)[:3])["person"]
    before = _counts(client)
    answer = client.post(f"/v1/people/{alice['id']}/faces", headers=ADMIN, files=_files(photos(CAROL)[1]))
    assert answer.status_code == 422 and answer.json()["detail"]["reason"] == "inconsistent_face"
    assert _counts(client) == before
    ok = client.post(f"/v1/people/{alice['id']}/faces", headers=ADMIN, files=_files(photos(ALICE)[4]))
    assert ok.status_code == 201 and len(ok.json()["added_templates"]) == 1


def test_a_duplicate_names_its_candidates_and_its_own_threshold(client: TestClient) -> None:
    alice = enroll(client, "Alice", photos(ALICE)[:3])["person"]
    before = _counts(client)
    again = client.post("/v1/people", headers=ADMIN, data={"name": "Alice again"}, files=_files(photos(ALICE)[7]))
    assert again.status_code == 409
    detail = again.json()["detail"]
    assert detail["reason"] == "duplicate_person" and detail["candidates"][0]["id"] == alice["id"]
    assert detail["threshold"] <= client.app.state.runtime.thresholds.model_default
    assert _counts(client) == before


def test_simultaneous_enrolments_of_one_face_admit_exactly_one(client: TestClient) -> None:
    """Four clerks enrol the same face under four badges at once: the check runs under the write lock."""
    files = photos(ALICE)[:2]
    answers: list[int] = []
    start = threading.Barrier(4)

    def clerk(i: int) -> None:
        start.wait()
        answers.append(client.post("/v1/people", headers=ADMIN, data={"name": f"Clerk {i}", "badge_id": f"R-{i}"},
                                   files=_files(*files)).status_code)

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201, 409, 409, 409]
    assert _counts(client) == (1, 2, 2)
