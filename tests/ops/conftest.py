"""A production stack of our own for the fault tests: PostgreSQL, Redis and gunicorn (2 workers) on loopback.

These tests stop and restart what they started (by PID, or pg_ctl on their own cluster), never the servers of
scripts/test.sh. One stack per module, since starting gunicorn costs seconds: each test works on its own
citizens and contributions (`stack.take`) and leaves every service running.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass, field

import pytest

from bench.servers import PASSWORD, Browser, Gunicorn, Postgres, Redis, Seeded, production_environment, seed

pytestmark = pytest.mark.slow


def pytest_collection_modifyitems(items):
    missing = [name for name in ("redis-server",) if shutil.which(name) is None]
    if missing:
        for item in items:
            if "tests/ops" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)} (scripts/system-deps.sh)"))


@dataclass
class Stack:
    postgres: Postgres
    redis: Redis
    gunicorn: Gunicorn
    database_url: str
    seeded: Seeded
    _next: itertools.count = field(default_factory=lambda: itertools.count())

    def take(self, users: int, contributions: int) -> tuple[list[str], list[int]]:
        """Citizens and contributions no other test of the module uses."""
        start = next(self._next) * 10
        return self.seeded.emails[start : start + users], self.seeded.contribution_ids[start : start + contributions]

    def citizen(self, email: str, address: str) -> Browser:
        browser = Browser(self.gunicorn.base, address=address)
        answer = browser.login(email, PASSWORD)
        assert answer.status == 302, (answer.status, answer.body[:500])
        return browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with Postgres() as postgres, Redis() as redis:
        database_url = postgres.create_database("consult")
        seeded = seed(database_url, users=60, contributions=60)
        # Fault tests vote as fast as the stack answers: the write limit (30 a minute) is not under test here.
        env = production_environment(
            database_url, redis, CONSULT_RATE_LIMIT_LOGIN="3 per minute", CONSULT_RATE_LIMIT_WRITE="100000 per minute"
        )
        with Gunicorn(env, workers=2, log=log) as gunicorn:
            yield Stack(postgres, redis, gunicorn, database_url, seeded)
