"""model upgrades: a loose crop and its landmarks per template, the template a re-embedding came
from, and the model in force

Revision ID: 0007_model_upgrades
Revises: 0003_security
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_model_upgrades"
down_revision = "0003_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("face_template") as batch_op:
        batch_op.add_column(sa.Column("loose_png", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("loose_geometry", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("derived_from", sa.Integer(), nullable=True))
        batch_op.create_index("ix_face_template_derived_from", ["derived_from"])
    op.create_table(
        "active_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("previous_model_id", sa.String(length=100), nullable=True),
        sa.Column("switched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("active_model")
    with op.batch_alter_table("face_template") as batch_op:
        batch_op.drop_index("ix_face_template_derived_from")
        batch_op.drop_column("derived_from")
        batch_op.drop_column("loose_geometry")
        batch_op.drop_column("loose_png")
