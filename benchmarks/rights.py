"""What the rights check costs a verification: the check alone with 100 groups and 1,000 grants
(median / p95 over random person x door pairs), and a whole verification (real photos, face worker,
gallery, audit event) with that rights load vs the upgrade's default ("everyone", always) on the
same process, database and photos. Target: at most 2 ms added per verification.

    .venv/bin/python -m benchmarks.rights [--database-url postgresql://...]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from app.access import service as access
from app.core import clock
from app.core.settings import Settings
from app.doors.models import Door
from app.keys.models import ApiKey
from app.keys.service import create_key
from app.people.models import Person
from app.people.service import Enrolment, Upload, enroll
from app.rights.check import check
from app.rights.models import AccessGroup, Area, AreaDoor, Grant, GroupMember, Schedule
from app.runtime import start_runtime
from app.training.data import data_root

LFW = data_root() / "lfw-dev"
PEOPLE = ["Colin_Powell", "Tony_Blair", "Gerhard_Schroeder", "Ariel_Sharon", "Hugo_Chavez"]
GROUPS, GRANTS, DOORS, PEOPLE_SYNTHETIC, GROUPS_PER_PERSON = 100, 1000, 100, 2000, 5
OFFICE = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "19:00"},
          {"days": ["sat"], "start": "09:00", "end": "13:00"}]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> dict:
    return {"median_ms": round(statistics.median(values), 3), "p95_ms": round(percentile(values, 0.95), 3),
            "n": len(values)}


def seed_rights(session) -> list[int]:  # noqa: ANN001 - a Session
    """100 groups, 1,000 grants over 100 doors (half on a weekly schedule), people in 5 groups each,
    an anti-passback area on ten doors. Returns the door ids."""
    doors = [Door(name=f"bench door {i}", mode="face") for i in range(DOORS)]
    session.add_all(doors)
    office = Schedule(name="bench office", always=False, windows=OFFICE, holidays=["2027-01-01"])
    session.add(office)
    session.flush()
    always = session.scalar(select(Schedule.id).where(Schedule.always.is_(True)))
    session.execute(insert(AccessGroup), [{"name": f"bench group {i}", "is_default": False} for i in range(GROUPS)])
    group_ids = list(session.scalars(select(AccessGroup.id).where(AccessGroup.name.like("bench group %"))))
    rng = random.Random(0)
    pairs = set()
    while len(pairs) < GRANTS:
        pairs.add((rng.choice(group_ids), rng.choice(doors).id))
    session.execute(insert(Grant), [{"group_id": g, "door_id": d, "schedule_id": office.id if i % 2 else always}
                                    for i, (g, d) in enumerate(sorted(pairs))])
    session.execute(insert(Person), [{"name": f"synthetic {i}", "active": True} for i in range(PEOPLE_SYNTHETIC)])
    person_ids = list(session.scalars(select(Person.id)))
    session.execute(insert(GroupMember), [{"group_id": g, "person_id": p} for p in person_ids
                                          for g in rng.sample(group_ids, GROUPS_PER_PERSON)])
    area = Area(name="bench area", reset_minutes=60)
    session.add(area)
    session.flush()
    session.add_all(AreaDoor(door_id=d.id, area_id=area.id, direction="entry" if i % 2 else "exit")
                    for i, d in enumerate(doors[:10]))
    session.commit()
    return [d.id for d in doors]


def time_checks(session, door_ids: list[int], rounds: int) -> dict:  # noqa: ANN001
    rng = random.Random(1)
    person_ids = list(session.scalars(select(Person.id)))
    doors = {d: session.get(Door, d) for d in door_ids}
    instant = clock.now()
    times, reasons = [], {}
    for _ in range(rounds):
        person, door = rng.choice(person_ids), doors[rng.choice(door_ids)]
        start = time.perf_counter()
        verdict = check(session, person, None, None, door, instant, "Europe/Berlin")
        times.append((time.perf_counter() - start) * 1000)
        reasons[verdict.reason] = reasons.get(verdict.reason, 0) + 1
    return {**summary(times), "reasons": reasons}


def time_verifications(session, verifier: access.Verifier, key: ApiKey, door_id: int,  # noqa: ANN001
                       probes: list[bytes], rounds: int) -> tuple[list[float], list[float]]:
    """Whole verifications, and the rights check alone for each identified person at that door
    right after it (the part of the verification that rights add; the rest is noise-bound)."""
    times, checks = [], []
    door = session.get(Door, door_id)
    for i in range(rounds):
        start = time.perf_counter()
        decision, event, _ = access.verify(session, verifier, key, probes[i % len(probes)], None, door_id)
        times.append((time.perf_counter() - start) * 1000)
        if decision.person is not None:
            start = time.perf_counter()
            check(session, decision.person.id, None, None, door, event.created_at, verifier.site_time_zone)
            checks.append((time.perf_counter() - start) * 1000)
    return times, checks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--verifications", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=args.database_url, index_snapshot=False,
                            site_time_zone="Europe/Berlin")
        runtime = start_runtime(settings)
        try:
            enrolment = Enrolment.of(runtime)
            verifier = access.Verifier.of(runtime)
            with runtime.db.session() as session:
                lobby = Door(name="bench lobby", mode="face")
                session.add(lobby)
                session.commit()
                everyone = session.scalar(select(AccessGroup.id).where(AccessGroup.is_default.is_(True)))
                always = session.scalar(select(Schedule.id).where(Schedule.always.is_(True)))
                session.add(Grant(group_id=everyone, door_id=lobby.id, schedule_id=always))
                session.commit()
                for name in PEOPLE:
                    photos = [Upload(p.name, p.read_bytes()) for p in sorted((LFW / name).glob("*.jpg"))[:3]]
                    enroll(session, enrolment, name, None, None, photos, True)
                key, _ = create_key(session, "terminal", "bench", lobby.id)
                probes = [p.read_bytes() for name in PEOPLE for p in sorted((LFW / name).glob("*.jpg"))[5:7]]
                time_verifications(session, verifier, key, lobby.id, probes, 10)  # warm-up
                default, default_checks = time_verifications(session, verifier, key, lobby.id, probes,
                                                             args.verifications)
                door_ids = seed_rights(session)
                # The lobby's grant now sits among 1,000 others; every synthetic person is in five groups.
                checks = time_checks(session, door_ids, args.checks)
                loaded, loaded_checks = time_verifications(session, verifier, key, lobby.id, probes,
                                                           args.verifications)
            print(json.dumps({
                "database": runtime.db.engine.dialect.name, "groups": GROUPS, "grants": GRANTS,
                "rights_check": checks,
                "verification_default_rights": summary(default), "verification_100_groups_1000_grants": summary(loaded),
                "check_in_verification_default": summary(default_checks),
                "check_in_verification_loaded": summary(loaded_checks),
                "added_median_ms": round(statistics.median(loaded) - statistics.median(default), 2)}, indent=1))
        finally:
            runtime.face_worker.close()
            runtime.db.engine.dispose()


if __name__ == "__main__":
    main()
