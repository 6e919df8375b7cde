"""comments indexed by status for the moderation queue

The queue lists pending comments oldest first and counts them on every page: an index on (status, created_at,
id) keeps that a range read however many comments a consultation gathers (issue 7, queue speed).

Revision ID: 11551a0cccd8
Revises: 60f16f4a8a1b
Create Date: 2026-12-02 13:17:03.901281
"""
from collections.abc import Sequence

from alembic import op


revision: str = '11551a0cccd8'
down_revision: str | Sequence[str] | None = '60f16f4a8a1b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_moderation', ['status', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_moderation')
