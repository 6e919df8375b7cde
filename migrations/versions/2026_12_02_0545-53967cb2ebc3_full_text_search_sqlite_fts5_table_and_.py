"""full-text search: SQLite FTS5 table and triggers, PostgreSQL tsvector column

Revision ID: 53967cb2ebc3
Revises: 2e229c6871c6
Create Date: 2026-12-02 05:25:18.417389
"""
from collections.abc import Sequence

from alembic import op


revision: str = '53967cb2ebc3'
down_revision: str | Sequence[str] | None = '2e229c6871c6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Written by hand (autogenerate does not see these objects). The statements are those of consult/fulltext.py at
# this revision; tests/consult/test_migrations.py checks that both build identical objects.
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE contribution_fts USING fts5(title, body, content='contribution', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER contribution_fts_insert AFTER INSERT ON contribution BEGIN "
    "INSERT INTO contribution_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER contribution_fts_delete AFTER DELETE ON contribution BEGIN "
    "INSERT INTO contribution_fts(contribution_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER contribution_fts_update AFTER UPDATE OF title, body ON contribution BEGIN "
    "INSERT INTO contribution_fts(contribution_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO contribution_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    # Index the rows that already exist.
    "INSERT INTO contribution_fts(contribution_fts) VALUES ('rebuild')",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS contribution_fts_update",
    "DROP TRIGGER IF EXISTS contribution_fts_delete",
    "DROP TRIGGER IF EXISTS contribution_fts_insert",
    "DROP TABLE IF EXISTS contribution_fts",
)
POSTGRESQL_CREATE = (
    "DROP INDEX IF EXISTS ix_contribution_search_fr",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'consult_french'
                 AND cfgnamespace = current_schema()::regnamespace) THEN
    CREATE TEXT SEARCH CONFIGURATION consult_french (COPY = french);
    ALTER TEXT SEARCH CONFIGURATION consult_french ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
  END IF;
END $$""",
    "ALTER TABLE contribution ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('consult_french'::regconfig, title), 'A') || "
    "setweight(to_tsvector('consult_french'::regconfig, body), 'B')) STORED",
    "CREATE INDEX ix_contribution_search ON contribution USING gin (search_vector)",
)
POSTGRESQL_DROP = (
    "DROP INDEX IF EXISTS ix_contribution_search",
    "ALTER TABLE contribution DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS consult_french",
    "CREATE INDEX ix_contribution_search_fr ON contribution "
    "USING gin (to_tsvector('french'::regconfig, (title || ' ') || body))",
)


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    """Upgrade schema."""
    dialect = op.get_bind().dialect.name
    _run(SQLITE_CREATE if dialect == "sqlite" else POSTGRESQL_CREATE)


def downgrade() -> None:
    """Downgrade schema."""
    dialect = op.get_bind().dialect.name
    _run(SQLITE_DROP if dialect == "sqlite" else POSTGRESQL_DROP)
