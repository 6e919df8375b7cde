"""import tasks run in the background from the analysts page

Revision ID: 60f16f4a8a1b
Revises: 8c27de893ee0
Create Date: 2026-12-02 07:48:10.715007
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = '60f16f4a8a1b'
down_revision: str | Sequence[str] | None = '8c27de893ee0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('importtask',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['importbatch.id'], name=op.f('fk_importtask_batch_id_importbatch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_importtask_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_importtask_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_importtask')),
    sa.UniqueConstraint('token', name=op.f('uq_importtask_token'))
    )
    with op.batch_alter_table('importtask', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importtask_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_importtask_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('importtask', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importtask_user_id'))
        batch_op.drop_index(batch_op.f('ix_importtask_consultation_id'))

    op.drop_table('importtask')
