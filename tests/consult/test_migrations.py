"""The Alembic migrations produce exactly the models' schema (no drift), on SQLite and on PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
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
        assert diff == [], f"migrations and models differ: {diff}"
    finally:
        engine.dispose()


def test_migrations_downgrade_to_base_and_up_again(database_url):
    upgrade(database_url)
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(database_url)
