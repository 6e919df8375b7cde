"""The Alembic migrations produce exactly the models' schema (no drift), on SQLite and on PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, inspect
from sqlmodel import SQLModel

import consult.models  # noqa: F401
from consult.db import make_engine
from consult.migrate import downgrade, upgrade


# SQLite cannot reflect expression indexes: Alembic warns that it skips comparing the PostgreSQL-only
# full-text index ix_contribution_search_fr there (it is compared on PostgreSQL).
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index:UserWarning")
def test_migrations_match_models(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
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
