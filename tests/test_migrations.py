"""Upgrading a database made at the previous migration head, with people, doors, keys and events in
it: every person joins "everyone", granted on every door with "always", so decisions do not change."""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from app.core.db import Database
from app.core.migrate import alembic_config, upgrade_database
from app.doors.models import Door
from app.rights.check import check

RIGHTS_REVISION = "0002_access_rights"


def _previous_head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_revision(RIGHTS_REVISION).down_revision


def _upgrade_to(url: str, revision: str) -> None:
    config = alembic_config()
    engine = create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_upgrade_keeps_everyone_admitted_everywhere(database_url: str) -> None:
    _upgrade_to(database_url, _previous_head())
    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    engine = create_engine(database_url)
    with engine.begin() as c:
        for name in ("Ann", "Ben", "Cid"):
            c.execute(text("INSERT INTO person (name, active, created_at, updated_at) VALUES (:n, true, :t, :t)"),
                      {"n": name, "t": now})
        for name, mode in (("Lobby", "face"), ("Lab", "badge")):
            c.execute(text("INSERT INTO door (name, mode, created_at) VALUES (:n, :m, :t)"),
                      {"n": name, "m": mode, "t": now})
        c.execute(text("INSERT INTO access_event (created_at, door_id, mode, decision, reason, threshold, model_id, "
                       "latency_ms) VALUES (:t, 1, 'face', 'admit', 'admitted', 0.5, 'm', 90)"), {"t": now})
    engine.dispose()

    upgrade_database(database_url)

    db = Database(database_url)
    with db.session() as session:
        groups = session.execute(text("SELECT id, name, is_default FROM access_group")).all()
        assert [(g.name, bool(g.is_default)) for g in groups] == [("everyone", True)]
        members = session.execute(text("SELECT person_id FROM group_member ORDER BY person_id")).scalars().all()
        people = session.execute(text("SELECT id FROM person ORDER BY id")).scalars().all()
        assert members == people and len(people) == 3
        grants = session.execute(text("SELECT g.door_id, s.name, s.always FROM access_grant g "
                                      "JOIN access_schedule s ON s.id = g.schedule_id ORDER BY g.door_id")).all()
        doors = session.execute(text("SELECT id FROM door ORDER BY id")).scalars().all()
        assert [(g.door_id, g.name, bool(g.always)) for g in grants] == [(d, "always", True) for d in doors]
        event = session.execute(text("SELECT reason, rule FROM access_event")).one()
        assert event.reason == "admitted" and event.rule is None  # the trail is kept as it was
        for door_id in doors:  # every existing person still passes the rights check at every door
            for person_id in people:
                verdict = check(session, person_id, None, None, session.get(Door, door_id), now, "UTC")
                assert verdict.allowed, verdict
    db.engine.dispose()


def test_downgrade_returns_to_the_previous_head(database_url: str) -> None:
    upgrade_database(database_url)
    config = alembic_config()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, _previous_head())
    with engine.connect() as connection:
        tables = set(connection.dialect.get_table_names(connection))
    engine.dispose()
    assert "access_group" not in tables and "person" in tables
