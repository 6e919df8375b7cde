"""The Alembic migrations produce exactly the models' schema (no drift), on SQLite and on PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, inspect
from sqlmodel import SQLModel

import consult.models  # noqa: F401
from consult.db import make_engine
from consult.fulltext import include_name
from consult.migrate import downgrade, upgrade


def test_migrations_match_models(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
            diff = compare_metadata(context, SQLModel.metadata)
        if engine.dialect.name == "sqlite":
            diff = _without_sqlite_desc_index_pairs(diff)
            with engine.connect() as connection:
                info = connection.exec_driver_sql("PRAGMA index_xinfo('ix_contribution_list_votes')").all()
            assert [(row[2], row[3]) for row in info if row[2] in ("vote_count", "id")] == [
                ("vote_count", 0),
                ("id", 1),
            ]
        assert diff == [], f"migrations and models differ: {diff}"
    finally:
        engine.dispose()


def test_fulltext_objects_match_models(request, database_url, tmp_path):
    """The search objects Alembic does not compare (FTS5 table and triggers; tsvector column, index, config)."""
    upgrade(database_url)
    migrated = make_engine(database_url)
    try:
        with migrated.connect() as connection:
            from_migrations = _fulltext_objects(connection)
        if migrated.dialect.name == "sqlite":
            created = make_engine(f"sqlite:///{tmp_path / 'created.db'}")
            SQLModel.metadata.create_all(created)
        else:  # the session's template database is built by SQLModel.metadata.create_all
            created = make_engine(database_url.rsplit("/", 1)[0] + "/" + request.getfixturevalue("schema_template"))
        with created.connect() as connection:
            from_models = _fulltext_objects(connection)
        created.dispose()
    finally:
        migrated.dispose()
    assert from_migrations, "no full-text objects found"
    assert from_migrations == from_models


def _fulltext_objects(connection) -> list[tuple]:
    """A normalised description of every full-text object in the database."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'contribution_fts%' "
            "OR (type = 'trigger' AND tbl_name = 'contribution') ORDER BY name"
        ).all()
        names = {row[1] for row in rows}
        # The FTS5 table and its shadow tables, and the three triggers that keep it in sync.
        assert {"contribution_fts", "contribution_fts_insert", "contribution_fts_update"} <= names
        assert "contribution_fts_delete" in names
        return [(kind, name, " ".join((sql or "").split())) for kind, name, sql in rows]
    column = connection.exec_driver_sql(
        "SELECT data_type, generation_expression, is_generated FROM information_schema.columns "
        "WHERE table_name = 'contribution' AND column_name = 'search_vector'"
    ).all()
    indexes = connection.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contribution' "
        "AND (strpos(indexdef, 'search_vector') > 0 OR strpos(indexdef, 'tsvector') > 0) ORDER BY indexname"
    ).all()
    mapping = connection.exec_driver_sql(
        "SELECT alias, dictionaries::text FROM ts_debug('consult_french', 'Données') ORDER BY alias"
    ).all()
    assert column and indexes and mapping
    return [tuple(column[0]), *map(tuple, indexes), *map(tuple, mapping)]


def _without_sqlite_desc_index_pairs(diff):
    """SQLite's reflection drops DESC from index columns, so Alembic sees such an index as removed and re-added.

    Drop those pairs (same name, a textual "x DESC" element in the model); the test then checks the real
    index on SQLite with PRAGMA index_xinfo instead.
    """
    textual = {
        item[1].name
        for item in diff
        if item[0] == "add_index" and any(not isinstance(e, Column) for e in item[1].expressions)
    }
    return [item for item in diff if not (item[0] in ("add_index", "remove_index") and item[1].name in textual)]


def test_migrations_downgrade_to_base_and_up_again(database_url):
    upgrade(database_url)
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(database_url)
