"""Shared fixtures: the app on a fresh database per test (SQLite file, or PostgreSQL when configured)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

# Set by scripts/test.sh when the throwaway PostgreSQL cluster runs: tests then use it instead of SQLite.
POSTGRES_URL = os.environ.get("CONSULT_TEST_POSTGRES_URL")


# Set by scripts/test.sh (make test): a skipped test fails the run, except those that need ../shared/data,
# so a machine without Chromium or Redis can never pass with part of the suite silently left out.
STRICT = os.environ.get("CONSULT_TEST_STRICT") == "1"
_ALLOWED_SKIP_MARKERS = {"shared_data"}


# Property tests draw from a fixed seed under make test, so the suite gives the same verdict on every run (a
# random draw once turned CI red on an old IBAN bug); `pytest` alone keeps exploring new examples, and a
# failure found that way becomes an @example in the test.
settings.register_profile("make-test", derandomize=True, database=None)
if STRICT:
    settings.load_profile("make-test")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (temporary file per test)'}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not _ALLOWED_SKIP_MARKERS & {m.name for m in item.iter_markers()}:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under make test (CONSULT_TEST_STRICT=1), which runs every part: {reason}"


def _pg_url(name: str) -> str:
    return re.sub(r"/[^/]*$", f"/{name}", POSTGRES_URL)


@contextlib.contextmanager
def _throwaway_database(admin, template: str | None = None) -> Iterator[str]:
    """Create a PostgreSQL database (optionally a copy of `template`), yield its URL, drop it afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_admin():
    """An AUTOCOMMIT connection to the throwaway cluster, for creating and dropping test databases."""
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(request, tmp_path) -> Iterator[str]:
    """An empty database for one test: a temporary SQLite file, or a fresh PostgreSQL database."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with _throwaway_database(request.getfixturevalue("postgres_admin")) as url:
        yield url


@pytest.fixture(scope="session")
def schema_template(request) -> str | None:
    """On PostgreSQL, a template database with the schema and taxonomy, copied for each test (much faster)."""
    if not POSTGRES_URL:
        return None
    from consult import create_app

    with _throwaway_database(request.getfixturevalue("postgres_admin")) as url:
        app = create_app({"DATABASE_URL": url})
        SQLModel.metadata.create_all(app.extensions["consult.engine"])
        _load_taxonomy(app)
        app.extensions["consult.engine"].dispose()
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def app_database_url(request, tmp_path) -> Iterator[str]:
    """A database with the schema and taxonomy already in place."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    template = request.getfixturevalue("schema_template")
    with _throwaway_database(request.getfixturevalue("postgres_admin"), template=template) as url:
        yield url


class Mailbox:
    """What a real SMTP server on loopback (aiosmtpd) received: the mail tests read their messages here."""

    def __init__(self) -> None:
        self.messages: list = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10):
        """The latest message to `address` once `count` have arrived (the app sends from a background thread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.to(address)
            if len(received) >= count:
                return received[-1]
            time.sleep(0.02)
        raise AssertionError(f"{count} message(s) to {address} expected, {len(self.to(address))} received")


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on a free loopback port for the whole run."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks that it answers, so 0 will not do)
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


@pytest.fixture
def make_app(app_database_url, smtp_server):
    """Build apps on the test database with extra config; their engines are disposed after the test."""
    database_url = app_database_url
    from consult import create_app

    apps = []

    def make(**config):
        config = {"MAIL_PORT": smtp_server.port, **config}
        app = create_app({"DATABASE_URL": database_url, "WTF_CSRF_ENABLED": False, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["consult.engine"].dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    if not POSTGRES_URL:  # PostgreSQL databases are copies of the template, which has all this already
        SQLModel.metadata.create_all(app.extensions["consult.engine"])
        _load_taxonomy(app)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A session on the test database, outside any app context.

    Holding an app context open here would make every test-client request reuse it (Flask pushes a new app
    context only when none is active), so `g`, the request's session and Babel's locale would leak between
    requests. Committed data is visible to the client.
    """
    from sqlmodel import Session

    with Session(app.extensions["consult.engine"], expire_on_commit=False) as db_session:
        yield db_session


def _load_taxonomy(app) -> None:
    from consult.db import get_session
    from consult.taxonomy.services import read_taxonomy, sync_taxonomy

    with app.app_context():
        session = get_session()
        sync_taxonomy(session=session, data=read_taxonomy(app.config["TAXONOMY_PATH"]))
        session.commit()
