"""Faults on a production stack of our own (tests/ops/conftest.py): nothing half-written, a 503 retry page, and the
service back by itself. Loopback only; every loop is bounded in count and time."""

from __future__ import annotations

import sqlite3
import threading
import time

import psycopg
import redis

from bench.servers import Browser, DevServer, VoteLoad, possible_votes, seed, vote, vote_audit, wait_until


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _assert_no_vote_lost(database_url: str, attempts) -> None:
    audit = vote_audit(database_url)
    assert audit["counter_mismatches"] == 0  # vote rows == counters, for every contribution
    for key, values in possible_votes(attempts).items():
        assert audit["votes"][key] in values, key


def _backend_waiting_on_lock(connection) -> int | None:
    """PID of the gunicorn worker whose database session waits on a lock (application_name, see consult.db)."""
    row = connection.execute(
        "SELECT application_name FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name LIKE "
        "'consult pid %'"
    ).fetchone()
    return int(row[0].rsplit(" ", 1)[1]) if row else None


def test_a_worker_killed_mid_vote_leaves_nothing_half_written_and_is_replaced(stack):
    (email,), (contribution_id,) = stack.take(1, 1)
    citizen = stack.citizen(email, "127.0.1.1")
    workers_before = stack.gunicorn.workers()
    answers = []
    with psycopg.connect(_libpq(stack.database_url), autocommit=False) as blocker:
        # Hold the contribution's row: the vote inserts its row, then waits to move the counters.
        blocker.execute("SELECT id FROM contribution WHERE id = %s FOR UPDATE", (contribution_id,))
        voting = threading.Thread(target=lambda: answers.append(vote(citizen, contribution_id, 1)))
        voting.start()
        with psycopg.connect(_libpq(stack.database_url), autocommit=True) as watcher:
            worker = wait_until(lambda: _backend_waiting_on_lock(watcher), 30, "vote waiting on the counters")
        stack.gunicorn.kill_worker(worker)  # kill -9, mid-request, mid-transaction
        voting.join(timeout=30)
        blocker.rollback()
    assert answers and answers[0].status == 0  # the connection died with the worker: no answer at all
    wait_until(
        lambda: len(stack.gunicorn.workers()) == 2 and worker not in stack.gunicorn.workers(), 60, "worker replaced"
    )
    assert len(set(stack.gunicorn.workers()) - set(workers_before)) == 1

    with psycopg.connect(_libpq(stack.database_url), autocommit=True) as check:
        wait_until(  # the dead worker's database session ends once PostgreSQL sees its socket closed
            lambda: (
                check.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s", (f"consult pid {worker}",)
                ).fetchone()[0]
                == 0
            ),
            30,
            "the killed worker's transaction rolled back",
        )
        counts = check.execute(
            "SELECT vote_count, (SELECT COUNT(*) FROM vote WHERE contribution_id = %s) FROM contribution WHERE id = %s",
            (contribution_id, contribution_id),
        ).fetchone()
    assert counts == (0, 0)  # neither the vote row nor the counter: the transaction never committed

    again = vote(citizen, contribution_id, 1)  # same cookie: sessions live in no worker
    assert again.status == 200
    audit = vote_audit(stack.database_url)
    assert audit["votes"][(email, contribution_id)] == 1
    assert audit["counter_mismatches"] == 0


def test_postgresql_restarted_mid_load_gives_503_retry_pages_then_comes_back(stack):
    emails, contribution_ids = stack.take(4, 10)
    citizens = {email: stack.citizen(email, f"127.0.2.{n + 1}") for n, email in enumerate(emails)}
    visitor = Browser(stack.gunicorn.base, address="127.0.2.9")
    with VoteLoad(citizens, contribution_ids, turns=400, pause=0.05) as load:  # 400 turns: 20 s at most
        try:
            wait_until(lambda: load.acknowledged() >= 8, 30, "votes under way")
            stack.postgres.stop("fast")  # ends the open sessions, refuses new connections
            down_since = len(load.attempts)
            html_page = visitor.get("/consultations/")
            api_answer = visitor.get("/api/v1/consultations")
            time.sleep(3)
        finally:
            stack.postgres.start()
        restarted_at = len(load.attempts)
        time.sleep(4)
    attempts = load.attempts

    statuses = [answer.status for *_, answer in attempts]
    assert set(statuses) <= {200, 503}, [(a.status, a.error) for *_, a in attempts if a.status not in (200, 503)]
    assert 503 in statuses[down_since:restarted_at]  # the outage was felt...
    assert all(a.status == 200 for *_, a in attempts[restarted_at + len(citizens) * 3 :])  # ...and is over
    for *_, answer in attempts:
        if answer.status == 503:
            assert answer.headers["Retry-After"] == "30"
            assert answer.headers["HX-Refresh"] == "true"  # htmx reloads the page, which shows the retry page

    assert html_page.status == 503 and html_page.headers["Retry-After"] == "30"
    assert "Service momentanément indisponible" in html_page.body
    assert '<p class="fr-mb-3w" lang="en">The service is temporarily unavailable.' in html_page.body
    assert 'href="/consultations/">Réessayer</a>' in html_page.body
    assert "fr-header" in html_page.body  # the DSFR page, not a bare error
    assert api_answer.status == 503 and api_answer.headers["Content-Type"].startswith("application/json")
    assert api_answer.headers["Retry-After"] == "30"

    _assert_no_vote_lost(stack.database_url, attempts)


def test_with_redis_stopped_citizens_go_on_limits_hold_and_queueing_answers_503(stack):
    (email, analyst_email), (contribution_id,) = stack.take(2, 1)
    with psycopg.connect(_libpq(stack.database_url), autocommit=True) as admin:
        admin.execute("UPDATE \"user\" SET role = 'analyst' WHERE email = %s", (analyst_email,))
    citizen = stack.citizen(email, "127.0.3.1")
    analyst = stack.citizen(analyst_email, "127.0.3.2")
    analyses = f"/consultations/{stack.seeded.slug}/analyses"
    analyst.get(analyses)
    stack.redis.stop()
    try:
        assert citizen.get(f"/contributions/{contribution_id}").status == 200
        assert vote(citizen, contribution_id, -1).status == 200  # the write limit counts in memory meanwhile
        # A password guesser still meets the login limit (3 per minute here), counted in each worker's memory.
        guesser = Browser(stack.gunicorn.base, address="127.0.3.3")
        guesser.get("/connexion")
        answers = [guesser.login(email, "not-the-password").status for _ in range(8)]
        assert 429 in answers and 500 not in answers

        queued = analyst.post(analyses, {"n_themes": "auto"})  # a background job needs the queue
        assert queued.status == 503 and queued.headers["Retry-After"] == "30"
        assert "Service momentanément indisponible" in queued.body
        with psycopg.connect(_libpq(stack.database_url), autocommit=True) as check:
            states = check.execute("SELECT status FROM analysisrun").fetchall()
        assert states == [("failed",)]  # not left "queued", which would block a retry for an hour
    finally:
        stack.redis.start()

    # Back by itself: jobs are queued again at once, rate limits return to Redis at the next storage check.
    assert analyst.post(analyses, {"n_themes": "auto"}).status == 303
    limits = redis.Redis.from_url(stack.redis.url(1))
    probe = Browser(stack.gunicorn.base, address="127.0.3.4")
    wait_until(lambda: probe.login(email, "wrong") and limits.keys("*"), 70, "rate limits back in Redis", interval=2)


def test_sqlite_survives_kill_9_of_the_development_server(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'consult.db'}"
    seeded = seed(database_url, users=4, contributions=6, migrate=False)
    with DevServer(database_url) as server:
        citizens = {email: server.citizen(email, f"127.0.4.{n + 1}") for n, email in enumerate(seeded.emails)}
        with VoteLoad(citizens, seeded.contribution_ids, turns=300) as load:  # stopped by the kill long before
            wait_until(lambda: load.acknowledged() >= 12, 60, "votes under way")
            server.kill()  # kill -9 while the threads are writing
    attempts = load.attempts
    assert (tmp_path / "consult.db-wal").exists()  # the crash left its write-ahead log behind, to recover

    with sqlite3.connect(tmp_path / "consult.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    _assert_no_vote_lost(database_url, attempts)  # every vote the server acknowledged survived the crash
    with DevServer(database_url) as server:  # and the site serves again on the same file
        page = server.citizen(seeded.emails[0], "127.0.4.9").get(f"/contributions/{seeded.contribution_ids[0]}")
        assert page.status == 200
