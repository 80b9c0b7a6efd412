"""What terminals are told, over real HTTP with real photos: the decision, a coarse reason, a first
name on admit; never a distance, nor whose badge a stranger held. Admin keys and the audit keep all."""
from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.access import disclosure, service
from app.core import reasons
from app.main import create_app
from app.rights import check
from tests.helpers import ADMIN, make_key, make_settings, photos, read, verify

ALICE, STRANGER = "Colin_Powell", "Donald_Rumsfeld"
TERMINAL_FIELDS = {"decision", "reason", "display_name", "event_id"}


# Every reason a door decision can carry besides the photo reasons of app/core/reasons.py.
DECISION_REASONS = {service.ADMITTED, service.NO_MATCH, service.UNKNOWN_BADGE, service.BADGE_MISMATCH,
                    service.BADGE_REQUIRED, service.INACTIVE, check.NOT_AUTHORIZED, check.OUTSIDE_SCHEDULE,
                    check.NOT_YET_VALID, check.EXPIRED, check.ANTI_PASSBACK}


def test_every_fine_reason_has_a_coarse_one() -> None:
    fine = set(reasons.HTTP_STATUS) | DECISION_REASONS | {"image_too_small", "internal_error"}
    assert {disclosure.coarse(code) for code in fine} <= set(disclosure.CoarseReason.__args__)
    assert DECISION_REASONS - set(disclosure.COARSE_REASON) == set()  # each one chosen, not defaulted
    for code in ("no_match", "unknown_badge", "badge_mismatch"):
        assert disclosure.coarse(code) == "not_recognised"
    for code in ("no_face", "multiple_faces", "face_too_small", "image_too_small"):
        assert disclosure.coarse(code) == "look_again"
    for code in ("inactive", "outside_schedule", "not_authorized", "expired"):
        assert disclosure.coarse(code) == "not_allowed_now"
    assert disclosure.coarse("internal_error") == disclosure.coarse("a_code_added_later") == "denied"


def test_terminal_key_gets_the_minimal_answer(client: TestClient) -> None:
    client.post("/v1/people", headers=ADMIN, data={"name": "Alice Example", "badge_id": "B-100"},
                files=[("images", (p.name, read(p), "image/jpeg")) for p in photos(ALICE)[:3]])
    terminal = make_key(client, "terminal")
    stranger = verify(client, read(photos(STRANGER)[0]), terminal, badge_id="B-100")
    assert set(stranger) == TERMINAL_FIELDS
    assert (stranger["decision"], stranger["reason"], stranger["display_name"]) == ("reject", "not_recognised", None)
    assert "Alice" not in str(stranger) and "distance" not in stranger
    unknown = verify(client, read(photos(STRANGER)[0]), terminal, badge_id="B-999")
    assert unknown["reason"] == stranger["reason"]  # a real badge and an unknown one look the same
    admitted = verify(client, read(photos(ALICE)[6]), terminal)
    assert set(admitted) == TERMINAL_FIELDS and (admitted["decision"], admitted["display_name"]) == ("admit", "Alice")

    full = verify(client, read(photos(STRANGER)[0]), badge_id="B-100")
    assert full["reason"] == "no_match" and full["person"]["name"] == "Alice Example"
    assert full["distance"] > full["threshold"]
    event = client.get("/v1/admin/events", headers=ADMIN, params={"limit": 100}).json()["items"]
    audited = next(e for e in event if e["id"] == stranger["event_id"])
    assert audited["person_name"] == "Alice Example" and audited["distance"] is not None


def test_display_name_follows_the_site_setting(tmp_path: Path, database_url: str) -> None:
    for policy, expected in (("full", "Alice Example"), ("none", None)):
        settings = make_settings(tmp_path / policy, database_url, terminal_display_name=policy)
        with TestClient(create_app(settings)) as client:
            if policy == "full":
                client.post("/v1/people", headers=ADMIN, data={"name": "Alice Example"},
                            files=[("images", (p.name, read(p), "image/jpeg")) for p in photos(ALICE)[:3]])
            for route in ("/v1/access/verify", "/web/terminal/verify"):
                answer = client.post(route, headers=make_key(client, "terminal"),
                                     files={"image": ("p.jpg", read(photos(ALICE)[6]), "image/jpeg")}).json()
                assert (answer["decision"], answer["display_name"]) == ("admit", expected), (policy, route, answer)
