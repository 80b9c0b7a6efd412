"""web sessions

Revision ID: 0005_web_sessions
Revises: 0001
Create Date: 2026-12-02 04:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_web_sessions'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_hash', sa.String(length=64), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_api_key_id'), ['api_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_session_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_expires_at'))
        batch_op.drop_index(batch_op.f('ix_web_session_api_key_id'))
    op.drop_table('web_session')
