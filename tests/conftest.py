"""Shared fixtures: the app on a fresh database per test (SQLite file, or PostgreSQL when configured)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

# Set by scripts/test.sh when the throwaway PostgreSQL cluster runs: tests then use it instead of SQLite.
POSTGRES_URL = os.environ.get("CONSULT_TEST_POSTGRES_URL")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (temporary file per test)'}"


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """An empty database for one test: a temporary SQLite file, or a fresh PostgreSQL database."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield re.sub(r"/[^/]*$", f"/{name}", POSTGRES_URL)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app(database_url):
    from consult import create_app

    app = create_app({"DATABASE_URL": database_url, "WTF_CSRF_ENABLED": False})
    engine = app.extensions["consult.engine"]
    SQLModel.metadata.create_all(engine)
    _load_taxonomy(app)
    yield app
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """The request-style session, inside an app context (committed data is visible to the client)."""
    from consult.db import get_session

    with app.app_context():
        yield get_session()


def _load_taxonomy(app) -> None:
    from consult.db import get_session
    from consult.taxonomy.services import read_taxonomy, sync_taxonomy

    with app.app_context():
        session = get_session()
        sync_taxonomy(session=session, data=read_taxonomy(app.config["TAXONOMY_PATH"]))
        session.commit()
