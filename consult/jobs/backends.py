"""The two job backends: a worker thread in this process, or an RQ queue in Redis."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable

from flask import Flask

from consult.jobs import Job

log = logging.getLogger(__name__)


def function_path(fn: Callable) -> str:
    """The importable name of a module-level function ("package.module.name")."""
    path = f"{fn.__module__}.{fn.__qualname__}"
    if "<" in path or "." in fn.__qualname__:
        raise ValueError(f"a job must be a module-level function, not {path}")
    return path


class ThreadBackend:
    """Jobs run one at a time on a daemon thread of this process, started when work arrives, gone when idle."""

    name = "thread"
    IDLE_SECONDS = 2.0

    def __init__(self, app: Flask):
        self.app = app
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def enqueue(self, fn: Callable, *args) -> Job:
        function_path(fn)
        job = Job(uuid.uuid4().hex, self.name)
        with self._lock:
            self._pending += 1
            self._queue.put((job, fn, args))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="consult-jobs", daemon=True)
                self._thread.start()
        return job

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued job has finished; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _work(self) -> None:
        while True:
            try:
                job, fn, args = self._queue.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                with self.app.app_context():
                    fn(*args)
            except Exception:  # the job records its own failure; the thread must survive it
                log.exception("job %s (%s) failed", job.id, function_path(fn))
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


class RQBackend:
    """Jobs go to an RQ queue; `consult worker` processes run them (see consult.jobs.worker)."""

    name = "rq"

    def __init__(self, url: str, *, queue: str, timeout: int):
        from redis import Redis
        from rq import Queue

        # Short timeouts: with Redis away, queueing fails in seconds (a 503 page), it does not hang the request.
        self.connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(queue, connection=self.connection)
        self.timeout = timeout

    def enqueue(self, fn: Callable, *args) -> Job:
        from consult.jobs.worker import perform

        rq_job = self.queue.enqueue(
            perform, function_path(fn), list(args), job_timeout=self.timeout, result_ttl=3600, failure_ttl=7 * 86400
        )
        return Job(rq_job.id, self.name)

    def wait(self, timeout: float | None = None) -> bool:
        """Nothing to wait for here: the work happens in other processes."""
        return True
