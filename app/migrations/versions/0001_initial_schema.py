"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 21:19:12.338366
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('door_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('badge_id', sa.String(length=100), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('person_name', sa.String(length=200), nullable=True),
    sa.Column('matched_person_id', sa.Integer(), nullable=True),
    sa.Column('matched_person_name', sa.String(length=200), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('distance', sa.Float(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('model_id', sa.String(length=100), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('face_probability', sa.Float(), nullable=True),
    sa.Column('face_px', sa.Float(), nullable=True),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=10), nullable=True),
    sa.Column('labelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('access_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_event_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_event_decision'), ['decision'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_event_door_id'), ['door_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_event_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_event_reason'), ['reason'], unique=False)

    op.create_table('door',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sqlite_autoincrement=True
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('employee_id', sa.String(length=100), nullable=True),
    sa.Column('badge_id', sa.String(length=100), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('badge_id'),
    sa.UniqueConstraint('employee_id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_name'), ['name'], unique=False)

    op.create_table('template_change',
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('op', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('revision'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('template_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_change_template_id'), ['template_id'], unique=False)

    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('door_id', sa.Integer(), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['door_id'], ['door.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash'),
    sqlite_autoincrement=True
    )
    op.create_table('face_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('model_id', sa.String(length=100), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('face_px', sa.Float(), nullable=False),
    sa.Column('sharpness', sa.Float(), nullable=False),
    sa.Column('chip_png', sa.LargeBinary(), nullable=True),
    sa.Column('source_filename', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('face_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_face_template_model_id'), ['model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_face_template_person_id'), ['person_id'], unique=False)

    op.create_table('threshold_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('door_id', sa.Integer(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('previous', sa.Float(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['door_id'], ['door.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('threshold_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_threshold_change_door_id'), ['door_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('threshold_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_threshold_change_door_id'))

    op.drop_table('threshold_change')
    with op.batch_alter_table('face_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_face_template_person_id'))
        batch_op.drop_index(batch_op.f('ix_face_template_model_id'))

    op.drop_table('face_template')
    op.drop_table('api_key')
    with op.batch_alter_table('template_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_change_template_id'))

    op.drop_table('template_change')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_name'))

    op.drop_table('person')
    op.drop_table('door')
    with op.batch_alter_table('access_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_event_reason'))
        batch_op.drop_index(batch_op.f('ix_access_event_person_id'))
        batch_op.drop_index(batch_op.f('ix_access_event_door_id'))
        batch_op.drop_index(batch_op.f('ix_access_event_decision'))
        batch_op.drop_index(batch_op.f('ix_access_event_created_at'))

    op.drop_table('access_event')
