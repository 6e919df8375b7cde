"""The job seam on a real Redis and real RQ workers started here (`consult worker`), and on the worker thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import select

from consult.analysis.results import latest_run
from consult.analysis.runs import STALE_ERROR
from consult.jobs import Job
from consult.jobs.backends import ThreadBackend, function_path
from consult.models import AnalysisRun, AutomaticLabel, Role, RunContribution, RunStatus
from tests.consult.analysis_support import wait_for_run

REDIS_URL = os.environ.get("CONSULT_TEST_REDIS_URL")
CONSULT = Path(sys.executable).with_name("consult")
_calls: list[tuple] = []


def record_call(*args) -> None:
    _calls.append(args)


def failing_job() -> None:
    raise RuntimeError("boom")


def test_thread_backend_runs_jobs_in_order_and_survives_a_failing_one(app):
    backend = ThreadBackend(app)
    _calls.clear()
    jobs = [backend.enqueue(record_call, 1), backend.enqueue(failing_job), backend.enqueue(record_call, 2, "b")]
    assert backend.wait(timeout=10)
    assert _calls == [(1,), (2, "b")]
    assert all(isinstance(job, Job) and job.backend == "thread" for job in jobs)
    assert len({job.id for job in jobs}) == 3


def test_jobs_must_be_module_level_functions(app):
    with pytest.raises(ValueError):
        ThreadBackend(app).enqueue(lambda: None)
    assert function_path(record_call) == "tests.consult.test_jobs.record_call"


@pytest.fixture
def redis_url():
    if not REDIS_URL:
        pytest.skip("needs Redis: CONSULT_TEST_REDIS_URL (set by scripts/test.sh)")
    return REDIS_URL


@pytest.fixture
def rq_app(app, make_app, redis_url, app_database_url):
    """An app on the same database whose jobs go to a fresh RQ queue."""
    rq_app = make_app(REDIS_URL=redis_url, JOB_QUEUE=f"test-{uuid.uuid4().hex[:8]}", ANALYSIS_STALE_SECONDS=3)
    rq_app.config["TEST_DATABASE_URL"] = app_database_url
    return rq_app


@contextmanager
def worker(rq_app, tmp_path, **settings):
    """`consult worker` in its own process group, on the test database and queue."""
    env = os.environ | {
        "CONSULT_DATABASE_URL": rq_app.config["TEST_DATABASE_URL"],
        "CONSULT_REDIS_URL": rq_app.config["REDIS_URL"],
        "CONSULT_JOB_QUEUE": rq_app.config["JOB_QUEUE"],
        "CONSULT_ANALYSIS_HEARTBEAT_SECONDS": "0.5",
        "CONSULT_ANALYSIS_PRELOAD": "false",
        **{f"CONSULT_{key}": str(value) for key, value in settings.items()},
    }
    log = (tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log").open("w")
    process = subprocess.Popen(
        [str(CONSULT), "worker", "--name", f"test-{uuid.uuid4().hex[:8]}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the worker and its work horses form one group, killed together
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _kill_with_children(process) -> None:
    """SIGKILL the worker and its work horse (RQ puts the horse in a session of its own), as a crash would."""
    for child in _children(process.pid):
        os.kill(child, signal.SIGKILL)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _staff_client(rq_app, make_user):
    user = make_user(Role.MODERATOR)
    client = rq_app.test_client()
    with client.session_transaction() as http_session:
        http_session["user_id"] = user.id
        http_session["user_version"] = user.session_version
    return client


def _start(client, consultation) -> int:
    response = client.post(f"/consultations/{consultation.slug}/analyses", data={"n_themes": "3"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.mark.slow
def test_rq_worker_runs_an_analysis_queued_from_the_site(rq_app, tmp_path, session, make_user, corpus):
    client = _staff_client(rq_app, make_user)
    with worker(rq_app, tmp_path):
        run_id = _start(client, corpus.consultation)
        run = wait_for_run(session, run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.backend == "rq" and run.job_id
    assert not run.worker.endswith(f":{os.getpid()}")  # another process did the work
    assert session.exec(select(RunContribution).where(RunContribution.run_id == run_id)).all()


@pytest.mark.slow
def test_killed_worker_leaves_previous_results_and_the_run_failed_then_retry_works(
    rq_app, tmp_path, session, make_user, corpus
):
    client = _staff_client(rq_app, make_user)
    with worker(rq_app, tmp_path, ANALYSIS_STEP_PAUSE=1) as process:
        first = wait_for_run(session, _start(client, corpus.consultation))
        assert first.status == RunStatus.SUCCEEDED, first.error
        second_id = _start(client, corpus.consultation)
        # Kill the worker and its work horse in the middle of the analysis.
        running = wait_for_run(session, second_id, statuses=(RunStatus.RUNNING,), timeout=120)
        deadline = time.monotonic() + 120
        while running.progress < 35 and time.monotonic() < deadline:
            time.sleep(0.2)
            running = wait_for_run(session, second_id, statuses=(RunStatus.RUNNING, RunStatus.SUCCEEDED))
        assert running.status == RunStatus.RUNNING and running.progress >= 35
        _kill_with_children(process)

    time.sleep(rq_app.config["ANALYSIS_STALE_SECONDS"] + 1)
    page = client.get(f"/consultations/{corpus.consultation.slug}/analyses/{second_id}").get_data(as_text=True)
    assert "En échec" in page
    session.expire_all()
    second = session.get(AnalysisRun, second_id)
    assert second.status == RunStatus.FAILED and second.error == STALE_ERROR
    # Nothing of the killed run is visible: the previous results are still the latest.
    assert latest_run(session=session, consultation_id=corpus.consultation.id).id == first.id
    assert session.exec(select(RunContribution).where(RunContribution.run_id == second_id)).all() == []
    assert {row.run_id for row in session.exec(select(AutomaticLabel))} == {first.id}

    with worker(rq_app, tmp_path):
        response = client.post(f"/consultations/{corpus.consultation.slug}/analyses/{second_id}/relancer")
        assert response.status_code == 303
        retried = session.exec(select(AnalysisRun).where(AnalysisRun.retry_of_id == second_id)).one()
        assert wait_for_run(session, retried.id).status == RunStatus.SUCCEEDED
    assert latest_run(session=session, consultation_id=corpus.consultation.id).id == retried.id
