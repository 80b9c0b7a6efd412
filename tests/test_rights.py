"""Access rights through HTTP with real photos at a frozen clock (time-machine): groups, a night
schedule, a holiday, validity periods, anti-passback; bad input; terminals that speak for a door.
One app and four enrolled people for the module: each test builds its own doors and groups."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.access.disclosure import coarse
from app.core.clock import aware
from app.core.db import utcnow
from app.keys.models import ApiKey
from app.keys.service import hash_key
from app.people.models import Person
from app.rights.models import AccessGroup, Grant, Schedule
from tests.helpers import ADMIN, auth, enroll, fresh_database, make_key, make_settings, photos, read

BERLIN = ZoneInfo("Europe/Berlin")
FACES = {"alice": "Colin_Powell", "bob": "Tony_Blair", "carol": "Gerhard_Schroeder", "dave": "Ariel_Sharon"}
STRANGER = "Donald_Rumsfeld"


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> time_machine.travel:
    """The clock frozen at a Berlin wall-clock time in 2027 (4 January 2027 is a Monday)."""
    return time_machine.travel(datetime(2027, month, day, hour, minute, tzinfo=BERLIN), tick=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    """The app (site time zone Europe/Berlin), two groups, four people, each with a probe photo."""
    from app.main import create_app

    tmp = tmp_path_factory.mktemp("rights")
    for url in fresh_database(tmp / "db"):
        with TestClient(create_app(make_settings(tmp, url, site_time_zone="Europe/Berlin"))) as client:
            groups = {name: _post(client, "/v1/admin/groups", {"name": name})["id"] for name in ("staff", "night")}
            people = {
                "alice": enroll(client, "Alice", photos(FACES["alice"])[:3], groups=[groups["staff"]]),
                "bob": enroll(client, "Bob", photos(FACES["bob"])[:3], groups=[groups["night"]]),
                "carol": enroll(client, "Carol", photos(FACES["carol"])[:3], groups=[groups["staff"]],
                                valid_until="2026-12-31T18:00:00+01:00"),  # a contract that ended
                "dave": enroll(client, "Dave", photos(FACES["dave"])[:3], groups=[groups["staff"]],
                               valid_from="2027-02-01T00:00:00+01:00"),  # starts next month
            }
            ids = {name: enrolled["person"]["id"] for name, enrolled in people.items()}
            yield client, {"groups": groups, "people": ids,
                           "probes": {name: read(photos(face)[6]) for name, face in FACES.items()},
                           "stranger": read(photos(STRANGER)[0])}


def _post(client: TestClient, path: str, body: dict, status: int = 201) -> dict:
    response = client.post(path, headers=ADMIN, json=body)
    assert response.status_code == status, response.text
    return response.json()


def _door(client: TestClient, name: str, **body) -> int:
    return _post(client, "/v1/admin/doors", {"name": name, "open_to_default_group": False, **body})["id"]


def _verify(client: TestClient, key: dict, image: bytes) -> dict:
    """The terminal's coarse answer checked against its audit event; the event (fine reason) returned."""
    response = client.post("/v1/access/verify", headers=key, files={"image": ("probe.jpg", image, "image/jpeg")})
    assert response.status_code == 200, response.text
    answer = response.json()
    event = _event(client, answer["event_id"])
    assert (answer["decision"], answer["reason"]) == (event["decision"], coarse(event["reason"]))
    return {**event, "event_id": event["id"]}


def _event(client: TestClient, event_id: int) -> dict:
    events = client.get("/v1/admin/events", headers=ADMIN, params={"limit": 500}).json()["items"]
    return next(e for e in events if e["id"] == event_id)


def test_site_scenario(site: tuple[TestClient, dict]) -> None:
    """Three doors (an entry and an exit of one anti-passback area, a lab), two groups, a night
    schedule, a holiday, an expired contractor and one not yet valid, a stranger."""
    client, ctx = site
    groups, people, probes = ctx["groups"], ctx["people"], ctx["probes"]
    entrance, exit_door, lab = _door(client, "Entrance"), _door(client, "Exit"), _door(client, "Lab")
    office = _post(client, "/v1/admin/schedules", {
        "name": "office hours", "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00",
                                             "end": "18:00"}], "holidays": ["2027-01-01"]})
    night = _post(client, "/v1/admin/schedules", {
        "name": "night", "holidays": ["2027-01-01"],
        "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "22:00", "end": "24:00"},
                    {"days": ["tue", "wed", "thu", "fri", "sat"], "start": "00:00", "end": "06:00"}]})
    always = next(s for s in client.get("/v1/admin/schedules", headers=ADMIN).json() if s["always"])
    for group, door, schedule in (("staff", entrance, always), ("staff", exit_door, always),
                                  ("staff", lab, office), ("night", lab, night)):
        _post(client, "/v1/admin/grants", {"group_id": groups[group], "door_id": door, "schedule_id": schedule["id"]})
    area = _post(client, "/v1/admin/areas", {"name": "Building", "reset_minutes": 600, "doors": [
        {"door_id": entrance, "direction": "entry"}, {"door_id": exit_door, "direction": "exit"}]})
    keys = {door: make_key(client, "terminal", door) for door in (entrance, exit_door, lab)}

    def decide(door: int, who: str) -> dict:
        return _verify(client, keys[door], ctx["stranger"] if who == "stranger" else probes[who])

    with at(4, 10):  # Monday, office hours
        answer = decide(lab, "alice")
        assert (answer["decision"], answer["reason"]) == ("admit", "admitted")
        event = _event(client, answer["event_id"])
        assert event["rule"]["group"] == "staff" and event["rule"]["schedule"] == "office hours"
        stamped = aware(datetime.fromisoformat(event["created_at"]))  # SQLite answers in UTC without a zone
        assert stamped == datetime(2027, 1, 4, 10, tzinfo=BERLIN)  # the instant the decision used
        assert decide(lab, "bob")["reason"] == "outside_schedule"
        assert decide(entrance, "bob")["reason"] == "not_authorized"
        assert decide(lab, "carol")["reason"] == "expired"
        assert decide(lab, "dave")["reason"] == "not_yet_valid"
        assert decide(lab, "stranger")["reason"] == "no_match"  # identity first
        access = client.get(f"/v1/people/{people['alice']}/access", headers=ADMIN).json()
        lab_grant = next(g for g in access["grants"] if g["door_id"] == lab)
        assert lab_grant["open_now"] and len(lab_grant["this_week"]) == 5 and access["validity"] == "valid"
        who = client.get(f"/v1/admin/doors/{lab}/access", headers=ADMIN).json()["people"]
        assert [p["id"] for p in who] == [people["alice"]]  # Carol expired, Dave not yet, Bob off hours
    with at(4, 23):  # Monday night
        assert decide(lab, "bob")["decision"] == "admit"
        assert decide(lab, "alice")["reason"] == "outside_schedule"
        assert [p["id"] for p in client.get(f"/v1/admin/doors/{lab}/access", headers=ADMIN).json()["people"]] \
            == [people["bob"]]
    with at(5, 3):  # the same night, after midnight: Tuesday's window
        assert decide(lab, "bob")["decision"] == "admit"
    with at(1, 23):  # New Year's Day, a holiday of both schedules
        assert decide(lab, "bob")["reason"] == "outside_schedule"
    with at(1, 10):
        assert decide(lab, "alice")["reason"] == "outside_schedule"

    with at(4, 8, 30):  # anti-passback: in, not in again, out, in
        assert decide(entrance, "alice")["decision"] == "admit"
    with at(4, 8, 35):
        refused = decide(entrance, "alice")
        assert refused["reason"] == "anti_passback"
        assert _event(client, refused["event_id"])["rule"]["area"] == "Building"
    with at(4, 17):
        assert decide(exit_door, "alice")["decision"] == "admit"
        assert decide(entrance, "alice")["decision"] == "admit"
        assert decide(entrance, "alice")["reason"] == "anti_passback"
        forgiven = client.post(f"/v1/admin/areas/{area['id']}/forgive/{people['alice']}", headers=ADMIN)
        assert forgiven.status_code == 200 and forgiven.json()["was_inside"] is True
        assert decide(entrance, "alice")["decision"] == "admit"
    with at(4, 23, 30):
        assert decide(entrance, "alice")["reason"] == "anti_passback"
    with at(5, 3, 1):  # 600 minutes after the last entry the area forgets it
        assert decide(entrance, "alice")["decision"] == "admit"


def test_enrolment_without_groups_joins_the_default_group(site: tuple[TestClient, dict]) -> None:
    client, ctx = site
    everyone = next(g for g in client.get("/v1/admin/groups", headers=ADMIN).json() if g["is_default"])
    assert everyone["name"] == "everyone"
    open_door = _post(client, "/v1/admin/doors", {"name": "Canteen"})["id"]  # open to the default group
    closed_door = _door(client, "Archive")
    with at(4, 12):
        erin = enroll(client, "Erin", photos("Hugo_Chavez")[:3])["person"]
        assert erin["id"] in client.get(f"/v1/admin/groups/{everyone['id']}/members", headers=ADMIN).json()
        probe = read(photos("Hugo_Chavez")[6])
        assert _verify(client, make_key(client, "terminal", open_door), probe)["decision"] == "admit"
        assert _verify(client, make_key(client, "terminal", closed_door), probe)["reason"] == "not_authorized"
        # Alice is in staff only, so the default group's door is not hers
        assert _verify(client, make_key(client, "terminal", open_door), ctx["probes"]["alice"])["reason"] \
            == "not_authorized"
        # membership changes take effect at once
        member = client.put(f"/v1/admin/groups/{everyone['id']}/members/{ctx['people']['alice']}", headers=ADMIN)
        assert member.status_code == 204
        assert _verify(client, make_key(client, "terminal", open_door), ctx["probes"]["alice"])["decision"] \
            == "admit"
        assert client.delete(f"/v1/admin/groups/{everyone['id']}/members/{ctx['people']['alice']}",
                             headers=ADMIN).status_code == 204


def _rights_rows(client: TestClient) -> tuple[int, ...]:
    with client.app.state.runtime.db.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (AccessGroup, Schedule, Grant, Person))


@pytest.mark.parametrize(("path", "body", "reason"), [
    ("/v1/admin/doors", {"name": "Tokyo office", "time_zone": "Mars/Olympus_Mons"}, "invalid_time_zone"),
    ("/v1/admin/schedules", {"name": "backwards", "windows": [{"days": ["mon"], "start": "18:00", "end": "08:00"}]},
     "invalid_window"),
    ("/v1/admin/schedules", {"name": "not a time", "windows": [{"days": ["mon"], "start": "8h", "end": "9:00"}]},
     "invalid_window"),
    ("/v1/admin/schedules", {"name": "overlap", "windows": [{"days": ["mon", "tue"], "start": "08:00", "end": "12:00"},
                                                            {"days": ["tue"], "start": "11:00", "end": "13:00"}]},
     "overlapping_windows"),
    ("/v1/admin/schedules", {"name": "bad holiday", "windows": [{"days": ["mon"], "start": "08:00", "end": "09:00"}],
                             "holidays": ["31/12/2027"]}, "invalid_window"),
    ("/v1/admin/grants", {"group_id": 1, "door_id": 99999, "schedule_id": 1}, "invalid_reference"),
    ("/v1/admin/grants", {"group_id": 99999, "door_id": 1, "schedule_id": 1}, "invalid_reference"),
    ("/v1/admin/areas", {"name": "nowhere", "doors": [{"door_id": 99999, "direction": "entry"}]},
     "invalid_reference"),
])
def test_bad_rights_input_is_refused_and_stores_nothing(site: tuple[TestClient, dict], path: str, body: dict,
                                                         reason: str) -> None:
    client, _ = site
    before = _rights_rows(client), len(client.get("/v1/admin/doors", headers=ADMIN).json())
    response = client.post(path, headers=ADMIN, json=body)
    assert response.status_code == 422 and response.json()["detail"]["reason"] == reason, response.text
    assert (_rights_rows(client), len(client.get("/v1/admin/doors", headers=ADMIN).json())) == before


def test_enrolment_into_an_unknown_group_stores_nothing(site: tuple[TestClient, dict]) -> None:
    client, _ = site
    before = _rights_rows(client)
    response = client.post("/v1/people", headers=ADMIN, data={"name": "Frank", "groups": ["99999"]},
                           files=[("images", ("a.jpg", read(photos("Hugo_Chavez")[0]), "image/jpeg"))])
    assert response.status_code == 422 and response.json()["detail"]["reason"] == "invalid_reference"
    backwards = client.post("/v1/people", headers=ADMIN, data={"name": "Frank", "valid_from": "2027-02-01T00:00:00Z",
                                                               "valid_until": "2027-01-01T00:00:00Z"},
                            files=[("images", ("a.jpg", read(photos("Hugo_Chavez")[0]), "image/jpeg"))])
    assert backwards.status_code == 422 and backwards.json()["detail"]["reason"] == "invalid_request"
    assert _rights_rows(client) == before


def test_deleting_what_is_in_use_answers_409_unless_cascaded(site: tuple[TestClient, dict]) -> None:
    client, ctx = site
    door = _door(client, "Store room")
    group = _post(client, "/v1/admin/groups", {"name": "pharmacy"})["id"]
    schedule = _post(client, "/v1/admin/schedules", {"name": "mornings", "windows": [
        {"days": ["mon"], "start": "06:00", "end": "12:00"}]})["id"]
    _post(client, "/v1/admin/grants", {"group_id": group, "door_id": door, "schedule_id": schedule})
    bad = client.put(f"/v1/admin/schedules/{schedule}", headers=ADMIN,
                     json={"windows": [{"days": ["mon"], "start": "12:00", "end": "06:00"}]})
    assert bad.status_code == 422 and bad.json()["detail"]["reason"] == "invalid_window"
    replaced = client.put(f"/v1/admin/schedules/{schedule}", headers=ADMIN,
                          json={"windows": [{"days": ["tue", "mon"], "start": "06:00", "end": "13:00"}]}).json()
    assert replaced["windows"] == [{"days": ["mon", "tue"], "start": "06:00", "end": "13:00"}]
    renamed = client.patch(f"/v1/admin/groups/{group}", headers=ADMIN, json={"description": "drug store"})
    assert renamed.status_code == 200 and renamed.json()["description"] == "drug store"
    assert client.put(f"/v1/admin/groups/{group}/members/{ctx['people']['alice']}", headers=ADMIN).status_code == 204
    for path in (f"/v1/admin/groups/{group}", f"/v1/admin/schedules/{schedule}"):
        refused = client.delete(path, headers=ADMIN)
        assert refused.status_code == 409 and refused.json()["detail"]["reason"] == "in_use"
    assert len(client.get("/v1/admin/grants", headers=ADMIN, params={"door_id": door}).json()) == 1
    assert client.delete(f"/v1/admin/schedules/{schedule}?cascade=true", headers=ADMIN).status_code == 204
    assert client.get("/v1/admin/grants", headers=ADMIN, params={"door_id": door}).json() == []
    assert client.delete(f"/v1/admin/groups/{group}?cascade=true", headers=ADMIN).status_code == 204
    assert group not in [g["id"] for g in client.get("/v1/admin/groups", headers=ADMIN).json()]


def test_terminals_speak_for_a_door(site: tuple[TestClient, dict]) -> None:
    client, ctx = site
    badge_door = _post(client, "/v1/admin/doors", {"name": "Server room", "mode": "badge"})["id"]
    with client.app.state.runtime.db.session() as session:  # a key made before terminals needed a door
        session.add(ApiKey(name="old terminal", key_hash=hash_key(client.app.state.runtime.secret, "fg_unbound_terminal"), prefix="fg_unbou",
                           role="terminal", created_at=utcnow()))
        session.commit()
    for key, form in ((auth("fg_unbound_terminal"), {}), (ADMIN, {})):
        refused = client.post("/v1/access/verify", headers=key, data=form,
                              files={"image": ("p.jpg", ctx["probes"]["alice"], "image/jpeg")})
        assert refused.status_code == 403 and refused.json()["detail"]["reason"] == "door_required"
    # a request cannot weaken the door's mode: a badge door without a badge is refused, for admins too
    for key in (make_key(client, "terminal", badge_door), ADMIN):
        answer = client.post("/v1/access/verify", headers=key, data={"door_id": badge_door},
                             files={"image": ("p.jpg", ctx["probes"]["alice"], "image/jpeg")}).json()
        assert answer["reason"] == "badge_required"


def test_validity_can_be_changed_and_is_checked(site: tuple[TestClient, dict]) -> None:
    client, ctx = site
    naive = client.patch(f"/v1/people/{ctx['people']['carol']}", headers=ADMIN,
                         json={"valid_until": "2027-06-30T18:00:00"})
    assert naive.status_code == 422 and naive.json()["detail"]["reason"] == "invalid_request"
    extended = client.patch(f"/v1/people/{ctx['people']['carol']}", headers=ADMIN,
                            json={"valid_until": "2027-06-30T18:00:00+02:00"})
    assert extended.status_code == 200, extended.text
    lab = next(d["id"] for d in client.get("/v1/admin/doors", headers=ADMIN).json() if d["name"] == "Lab")
    with at(4, 10):
        assert _verify(client, make_key(client, "terminal", lab), ctx["probes"]["carol"])["decision"] == "admit"
    with at(1, 10, month=7):
        assert _verify(client, make_key(client, "terminal", lab), ctx["probes"]["carol"])["reason"] == "expired"


def test_an_unknown_site_time_zone_stops_the_start(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from app.core.settings import Settings

    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        Settings(data_dir=tmp_path, site_time_zone="Europe/Atlantis")
    assert Settings(data_dir=tmp_path, site_time_zone="America/New_York").site_time_zone == "America/New_York"
