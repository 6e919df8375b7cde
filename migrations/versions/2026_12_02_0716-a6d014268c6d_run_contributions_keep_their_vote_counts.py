"""run contributions keep their vote counts

Revision ID: a6d014268c6d
Revises: cb8bbe74521b
Create Date: 2026-12-02 07:16:23.269415
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = 'a6d014268c6d'
down_revision: str | Sequence[str] | None = 'cb8bbe74521b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('runcontribution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agree_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disagree_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pass_count', sa.Integer(), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('runcontribution', schema=None) as batch_op:
        batch_op.drop_column('pass_count')
        batch_op.drop_column('disagree_count')
        batch_op.drop_column('agree_count')

