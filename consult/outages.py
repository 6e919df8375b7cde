"""When a service the site depends on is away — PostgreSQL restarting, Redis stopped — answer 503, never 500.

A request that meets a lost database connection, a full connection pool or an unreachable job queue gets the
DSFR retry page (JSON under /api/) with `Retry-After`. Nothing it did is kept: its transaction was never
committed (views commit once, at the end) and is rolled back here. The next request takes a fresh connection
(the engine pings connections before use), so the site comes back by itself when the service does.
Rate limits do not need this: while Redis is away they are counted in each worker's memory (see config).
"""

from __future__ import annotations

import logging

from flask import Flask, g
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import ServiceUnavailable

from consult.db import close_session
from consult.errors import handle_http_exception

log = logging.getLogger(__name__)

# OperationalError covers a lost or refused connection, a server shutting down, SQLite's "database is locked"
# after the busy timeout, and serialisation failures: all of them pass, and a retry is the right answer.
DATABASE_OUTAGES = (OperationalError, InterfaceError, PoolTimeoutError)
QUEUE_OUTAGES = (RedisConnectionError, RedisTimeoutError)


def handle_outage(exc: Exception):
    # The exception's text may quote SQL parameters or addresses: log its type only.
    log.warning("service unavailable: %s", type(exc).__name__)
    close_session(exc)  # roll back, give the connection back (invalidated if it is dead)
    g.user = None  # the page must not read the database again (the header shows the signed-in user)
    return handle_http_exception(ServiceUnavailable())


def init_app(app: Flask) -> None:
    for exc_type in DATABASE_OUTAGES + QUEUE_OUTAGES:
        app.register_error_handler(exc_type, handle_outage)
