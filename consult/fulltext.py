"""Full-text search schema the ORM does not model: created with the contribution table, kept in sync by the database.

- SQLite: an FTS5 external-content table `contribution_fts` (title, body) over `contribution`, tokenised by
  unicode61 with accents folded ("donnees" finds "données"), with prefix indexes, kept in sync by three triggers.
  Only title or body changes touch it (a vote's counter update does not).
- PostgreSQL: a stored generated column `contribution.search_vector` (title weighted A, body B) in the
  `consult_french` text search configuration (French stemming after `unaccent`, so accents are folded there too),
  with a GIN index. The database computes it on every insert and update: nothing can leave it stale.

The same statements are written out in the migration that creates them; tests/consult/test_migrations.py checks
that a migrated database and one built by `SQLModel.metadata.create_all` hold identical objects.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

FTS_TABLE = "contribution_fts"
SEARCH_COLUMN = "search_vector"
SEARCH_INDEX = "ix_contribution_search"
TEXT_SEARCH_CONFIG = "consult_french"

# Lengths (in characters) of the FTS5 prefix indexes. A search looks up a word of 6 letters or more as a prefix
# (see consult.contributions.search): without an index of that exact length, FTS5 merges the doclists of every word
# starting with it, so « numérique* » cost 94 ms at 100,000 contributions (82 % of rows) against 3 ms with its
# index. Each length adds a copy of the positions of the words at least that long: the table grew ×2.5 at 100,000
# generated contributions, mostly from the shorter lengths (lengths 13 to 20 added 3 %). Longer words are searched
# without a prefix, so every prefix a search asks for has its index.
PREFIX_LENGTHS = tuple(range(6, 21))
FTS_CREATE = (
    "CREATE VIRTUAL TABLE contribution_fts USING fts5(title, body, content='contribution', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='" + " ".join(map(str, PREFIX_LENGTHS)) + "')"
)
SQLITE_CREATE = (
    FTS_CREATE,
    "CREATE TRIGGER contribution_fts_insert AFTER INSERT ON contribution BEGIN "
    "INSERT INTO contribution_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER contribution_fts_delete AFTER DELETE ON contribution BEGIN "
    "INSERT INTO contribution_fts(contribution_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER contribution_fts_update AFTER UPDATE OF title, body ON contribution BEGIN "
    "INSERT INTO contribution_fts(contribution_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO contribution_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS contribution_fts_update",
    "DROP TRIGGER IF EXISTS contribution_fts_delete",
    "DROP TRIGGER IF EXISTS contribution_fts_insert",
    "DROP TABLE IF EXISTS contribution_fts",
)

POSTGRESQL_CREATE = (
    # unaccent is a trusted extension (PostgreSQL 13+): the database owner may create it.
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


def attach(contribution: Table) -> None:
    """Create (and drop) the search objects whenever the contribution table is created (or dropped)."""
    for statement in SQLITE_CREATE:
        event.listen(contribution, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in SQLITE_DROP:
        event.listen(contribution, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRESQL_CREATE:
        event.listen(contribution, "after_create", DDL(statement).execute_if(dialect="postgresql"))


def is_fulltext_object(name: str | None, type_: str, parent_names: dict) -> bool:
    """Tell Alembic's comparison to leave these objects alone (they are not in the metadata; see the module doc)."""
    if type_ == "table":
        return bool(name) and name.startswith(FTS_TABLE)
    if type_ == "column":
        return name == SEARCH_COLUMN and parent_names.get("table_name") == "contribution"
    if type_ == "index":
        return name == SEARCH_INDEX
    return False


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic `include_name` hook: every reflected name except the full-text objects."""
    return not is_fulltext_object(name, type_, parent_names)
