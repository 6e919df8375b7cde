"""FTS5 prefix indexes for search (lengths 6 to 20)

Revision ID: 5c0f3a9d2e71
Revises: 11551a0cccd8
Create Date: 2026-12-02 13:30:00.000000
"""
from collections.abc import Sequence

from alembic import op


revision: str = '5c0f3a9d2e71'
down_revision: str | Sequence[str] | None = '11551a0cccd8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Written by hand (autogenerate does not see FTS5 tables). An FTS5 table's options cannot be altered: it is
# dropped and created again with `prefix=`, then rebuilt from `contribution` (external content: no row is lost;
# the triggers name the table and are left as they are). PostgreSQL is unchanged (its GIN index serves prefixes).
# The statement is consult/fulltext.py's FTS_CREATE at this revision; tests/consult/test_migrations.py checks it.
WITH_PREFIXES = (
    "CREATE VIRTUAL TABLE contribution_fts USING fts5(title, body, content='contribution', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='6 7 8 9 10 11 12 13 14 15 16 17 18 19 20')"
)
WITHOUT_PREFIXES = (
    "CREATE VIRTUAL TABLE contribution_fts USING fts5(title, body, content='contribution', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)


def _recreate(create: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS contribution_fts")
    op.execute(create)
    op.execute("INSERT INTO contribution_fts(contribution_fts) VALUES ('rebuild')")


def upgrade() -> None:
    """Upgrade schema."""
    _recreate(WITH_PREFIXES)


def downgrade() -> None:
    """Downgrade schema."""
    _recreate(WITHOUT_PREFIXES)
