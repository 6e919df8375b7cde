"""user email verified at

Accounts created before e-mail verification existed keep working: their address counts as verified from
their creation (they could not have been asked).

Revision ID: 8c27de893ee0
Revises: a6d014268c6d
Create Date: 2026-12-02 06:54:55.813617
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '8c27de893ee0'
down_revision: str | Sequence[str] | None = 'a6d014268c6d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE "user" SET email_verified_at = created_at WHERE email IS NOT NULL')


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
