"""imports: batches, imported contributions and participants

Revision ID: cb8bbe74521b
Revises: 0de9792e8968
Create Date: 2026-12-02 05:28:01.239581
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = 'cb8bbe74521b'
down_revision: str | Sequence[str] | None = '0de9792e8968'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('importbatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('contribution_count', sa.Integer(), nullable=False),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.Column('participant_count', sa.Integer(), nullable=False),
    sa.Column('redacted_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_importbatch_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_importbatch_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_importbatch'))
    )
    with op.batch_alter_table('importbatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importbatch_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_importbatch_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('importedcontribution',
    sa.Column('contribution_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['importbatch.id'], name=op.f('fk_importedcontribution_batch_id_importbatch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contribution_id'], ['contribution.id'], name=op.f('fk_importedcontribution_contribution_id_contribution'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contribution_id', name=op.f('pk_importedcontribution'))
    )
    with op.batch_alter_table('importedcontribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importedcontribution_batch_id'), ['batch_id'], unique=False)

    op.create_table('importedparticipant',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['importbatch.id'], name=op.f('fk_importedparticipant_batch_id_importbatch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_importedparticipant_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_importedparticipant'))
    )
    with op.batch_alter_table('importedparticipant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importedparticipant_batch_id'), ['batch_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('importedparticipant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importedparticipant_batch_id'))

    op.drop_table('importedparticipant')
    with op.batch_alter_table('importedcontribution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importedcontribution_batch_id'))

    op.drop_table('importedcontribution')
    with op.batch_alter_table('importbatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importbatch_fingerprint'))
        batch_op.drop_index(batch_op.f('ix_importbatch_consultation_id'))

    op.drop_table('importbatch')
