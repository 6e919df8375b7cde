"""Background jobs behind one seam: `enqueue(fn, *args) -> Job`.

Two backends, chosen by configuration when the app is created:

* "thread" (default, nothing to install): an in-process worker thread of the web (or CLI) process runs the jobs
  one after the other; a job dies with its process.
* "rq" when `CONSULT_REDIS_URL` is set: jobs go to an RQ queue in Redis and `consult worker` processes, on this
  host or any other that reaches Redis and the database, run them.

A job function is a plain module-level function taking JSON-like arguments (ids, not objects). It runs inside an
application context and opens its own database session (`job_session()`), commits what it writes, and records its
own failure where people can see it: the queue only knows that the function returned or raised.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app
from sqlmodel import Session

from consult.db import get_engine


@dataclass(frozen=True)
class Job:
    """A queued call: its id in the backend and the backend's name ("thread" or "rq")."""

    id: str
    backend: str


def init_app(app: Flask) -> None:
    from consult.jobs.backends import RQBackend, ThreadBackend

    url = app.config.get("REDIS_URL") or ""
    if url:
        backend = RQBackend(url, queue=app.config["JOB_QUEUE"], timeout=app.config["JOB_TIMEOUT"])
    else:
        backend = ThreadBackend(app)
    app.extensions["consult.jobs"] = backend


def backend():
    return current_app.extensions["consult.jobs"]


def enqueue(fn: Callable, *args) -> Job:
    """Run `fn(*args)` in the background; return at once."""
    return backend().enqueue(fn, *args)


@contextmanager
def job_session():
    """A database session of its own for a job (closed at the end; the job commits what it writes)."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
