"""French full-text search index on contributions (PostgreSQL)

Revision ID: a4a90379161a
Revises: d93ff35c2e03
Create Date: 2026-11-30 06:38:51.374257
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = 'a4a90379161a'
down_revision: str | Sequence[str] | None = 'd93ff35c2e03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Written by hand: autogenerate cannot compare expression indexes. PostgreSQL only; SQLite searches with LIKE.
# The expression must stay identical to consult.models.SEARCH_VECTOR_SQL for the planner to use the index.
SEARCH_VECTOR_SQL = "to_tsvector('french'::regconfig, (title || ' ') || body)"


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_contribution_search_fr", "contribution", [sa.text(SEARCH_VECTOR_SQL)], postgresql_using="gin")


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_contribution_search_fr", table_name="contribution")
