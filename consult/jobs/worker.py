"""The RQ side: what a worker process runs for each job, and `consult worker`."""

from __future__ import annotations

import importlib

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def _worker_app() -> Flask:
    # `rq worker` started by hand has no Flask app: build one from the CONSULT_* environment, once per process.
    global _app
    if _app is None:
        from consult import create_app

        _app = create_app(server="none")  # a worker serves no HTTP: the secret key is not used
    return _app


def perform(path: str, args: list) -> None:
    """Import the job function named `path` and call it with `args` inside an application context."""
    module, _, name = path.rpartition(".")
    fn = getattr(importlib.import_module(module), name)
    if has_app_context():  # `consult worker`: the work horse is a fork of a process that holds the app
        # Pooled connections inherited from the parent must not be shared with it.
        current_app.extensions["consult.engine"].dispose(close=False)
        fn(*args)
        return
    with _worker_app().app_context():
        fn(*args)


def run_worker(app: Flask, *, burst: bool = False, name: str | None = None) -> None:
    """Serve the configured queue until stopped (or, with `burst`, until it is empty)."""
    from redis import Redis
    from rq import Queue, Worker

    connection = Redis.from_url(app.config["REDIS_URL"])
    _warm_up(app)
    app.extensions["consult.engine"].dispose()  # no connection of ours for the work horses to inherit
    worker = Worker([Queue(app.config["JOB_QUEUE"], connection=connection)], connection=connection, name=name)
    worker.work(burst=burst, logging_level="INFO")


def _warm_up(app: Flask) -> None:
    """Load spaCy and the label models once here: each work horse is a fork of this process and inherits them."""
    from consult.analysis.labels import label_models
    from consult.db import get_session

    with app.app_context():
        try:
            label_models.refresh(get_session())
        except Exception:  # each job loads them itself then
            app.logger.exception("loading the label models before work failed")
