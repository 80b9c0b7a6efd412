"""access rights: groups, members, schedules, grants, anti-passback areas; person validity,
door time zone, the rule on each event. Existing sites get the group "everyone" (all current
people) granted on all current doors with the built-in schedule "always", so nothing changes
until an admin narrows it.

Revision ID: 0002_access_rights
Revises: 0006_event_crops
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0002_access_rights"
down_revision = "0006_event_crops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("door") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("access_event") as batch_op:
        batch_op.add_column(sa.Column("rule", sa.JSON(), nullable=True))

    group = op.create_table(
        "access_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint("name"), sqlite_autoincrement=True)
    schedule = op.create_table(
        "access_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("always", sa.Boolean(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint("name"), sqlite_autoincrement=True)
    op.create_table(
        "access_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reset_minutes", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint("name"), sqlite_autoincrement=True)
    member = op.create_table(
        "group_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["access_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint("group_id", "person_id"), sqlite_autoincrement=True)
    op.create_index("ix_group_member_group_id", "group_member", ["group_id"])
    op.create_index("ix_group_member_person_id", "group_member", ["person_id"])
    grant = op.create_table(
        "access_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("door_id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["access_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["door_id"], ["door.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["schedule_id"], ["access_schedule.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint("group_id", "door_id", "schedule_id"),
        sqlite_autoincrement=True)
    op.create_index("ix_access_grant_group_id", "access_grant", ["group_id"])
    op.create_index("ix_access_grant_door_id", "access_grant", ["door_id"])
    op.create_index("ix_access_grant_schedule_id", "access_grant", ["schedule_id"])
    op.create_table(
        "access_area_door",
        sa.Column("door_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(["door_id"], ["door.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["area_id"], ["access_area.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("door_id"), sqlite_autoincrement=True)
    op.create_index("ix_access_area_door_area_id", "access_area_door", ["area_id"])
    op.create_table(
        "access_area_presence",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["access_area.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "person_id"), sqlite_autoincrement=True)

    # Nothing changes for an existing site: everyone, everywhere, always.
    connection = op.get_bind()
    now = datetime.now(timezone.utc)
    connection.execute(schedule.insert().values(name="always", always=True, windows=[], holidays=[], created_at=now))
    connection.execute(group.insert().values(name="everyone", is_default=True, created_at=now,
                                             description="every person enrolled before access rights, and "
                                                         "everyone enrolled later without groups"))
    always_id = connection.execute(sa.select(schedule.c.id).where(schedule.c.name == "always")).scalar_one()
    everyone_id = connection.execute(sa.select(group.c.id).where(group.c.name == "everyone")).scalar_one()
    person_ids = connection.execute(sa.text("SELECT id FROM person ORDER BY id")).scalars().all()
    door_ids = connection.execute(sa.text("SELECT id FROM door ORDER BY id")).scalars().all()
    if person_ids:
        connection.execute(member.insert(), [{"group_id": everyone_id, "person_id": p} for p in person_ids])
    if door_ids:
        connection.execute(grant.insert(), [{"group_id": everyone_id, "door_id": d, "schedule_id": always_id,
                                             "created_at": now} for d in door_ids])


def downgrade() -> None:
    for table in ("access_area_presence", "access_area_door", "access_grant", "group_member", "access_area",
                  "access_schedule", "access_group"):
        op.drop_table(table)
    with op.batch_alter_table("access_event") as batch_op:
        batch_op.drop_column("rule")
    with op.batch_alter_table("door") as batch_op:
        batch_op.drop_column("time_zone")
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("valid_until")
        batch_op.drop_column("valid_from")
