"""security: HMAC key hashes, bootstrap key, security events, the audit chain

Revision ID: 0003_security
Revises: 0002_access_rights
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_security"
down_revision = "0002_access_rights"
branch_labels = None
depends_on = None

CHAINED = ("access_event", "threshold_change", "security_event")


def _chain_columns(batch_op) -> None:  # noqa: ANN001
    batch_op.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
    batch_op.add_column(sa.Column("chain_mac", sa.String(length=64), nullable=True))
    batch_op.add_column(sa.Column("names_mac", sa.String(length=64), nullable=True))
    batch_op.create_unique_constraint(f"uq_{batch_op.impl.table_name}_chain_seq", ["chain_seq"])


def upgrade() -> None:
    with op.batch_alter_table("api_key") as batch_op:
        # Rows from before are plain SHA-256: they keep working and are re-hashed on first use.
        batch_op.add_column(sa.Column("hash_scheme", sa.String(length=10), nullable=False, server_default="sha256"))
        batch_op.add_column(sa.Column("bootstrap", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column("prefix", existing_type=sa.String(length=12), nullable=True)
    api_key = sa.table("api_key", sa.column("prefix"), sa.column("name"), sa.column("bootstrap"))
    op.execute(api_key.update().values(prefix=None))  # an operator-chosen key's first characters, in clear
    op.execute(api_key.update().where(api_key.c.name == "FACEGATE_ADMIN_KEY").values(bootstrap=True))

    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("actor_key_id", sa.Integer(), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("chain_seq", sa.Integer(), nullable=True),
        sa.Column("chain_mac", sa.String(length=64), nullable=True),
        sa.Column("names_mac", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain_seq", name="uq_security_event_chain_seq"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_security_event_created_at", "security_event", ["created_at"])
    op.create_index("ix_security_event_kind", "security_event", ["kind"])
    for table in CHAINED[:2]:
        with op.batch_alter_table(table) as batch_op:
            _chain_columns(batch_op)

    head = op.create_table(
        "audit_chain_head",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("start_seq", sa.Integer(), nullable=False),
        sa.Column("start_mac", sa.String(length=64), nullable=False),
        sa.Column("legacy_sealed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Rows written before the chain are sealed once at the next start (that needs the server secret).
    op.bulk_insert(head, [{"name": t, "seq": 0, "mac": "", "start_seq": 0, "start_mac": "", "legacy_sealed": False}
                          for t in CHAINED])


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    for table in CHAINED[:2]:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_chain_seq", type_="unique")
            for column in ("names_mac", "chain_mac", "chain_seq"):
                batch_op.drop_column(column)
    op.drop_index("ix_security_event_kind", "security_event")
    op.drop_index("ix_security_event_created_at", "security_event")
    op.drop_table("security_event")
    with op.batch_alter_table("api_key") as batch_op:
        batch_op.drop_column("bootstrap")
        batch_op.drop_column("hash_scheme")
