"""event crops: the aligned probe crop of admitted or matched decisions, for explanations

Revision ID: 0006_event_crops
Revises: 0005_web_sessions
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_event_crops"
down_revision = "0005_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_crop",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("chip_png", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["access_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade() -> None:
    op.drop_table("event_crop")
