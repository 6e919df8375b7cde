"""Fault figures: what citizens see and what is kept when a worker, PostgreSQL, Redis or the SQLite server dies.

    .venv/bin/python -m bench.faults [--json PATH]

tests/ops/test_faults.py asserts the behaviour; this measures it, on the same kind of stack of our own (loopback,
bench/servers.py, `make serve-prod`'s gunicorn with 4 workers, PostgreSQL with the production durability
settings, Redis): while citizens vote in a loop, each fault is caused once, and the run reports the answers by
status, how long the outage was felt, how long until every answer is 200 again, and the votes lost (a vote
acknowledged with a 200 and not stored, or counters that differ from the vote rows). Bounded: a few threads,
a fixed number of turns each, and a timeout on every wait.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import redis as redis_client

from bench.servers import PASSWORD as _PASSWORD
from bench.servers import (
    Browser,
    DevServer,
    Gunicorn,
    Postgres,
    Redis,
    VoteLoad,
    possible_votes,
    production_environment,
    seed,
    vote,
    vote_audit,
    wait_until,
)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _citizens(base: str, emails: list[str], subnet: int) -> dict[str, Browser]:
    citizens = {}
    for n, email in enumerate(emails):
        browser = Browser(base, address=f"127.9.{subnet}.{n + 1}")
        assert browser.login(email, _PASSWORD).status == 302
        citizens[email] = browser
    return citizens


def _lost(database_url: str, attempts) -> dict:
    audit = vote_audit(database_url)
    possible = possible_votes(attempts)
    return {
        "acknowledged_votes": sum(a.status == 200 for *_, a in attempts),
        "votes_lost": sum(audit["votes"].get(key) not in values for key, values in possible.items()),
        "counter_mismatches": audit["counter_mismatches"],
    }


def _timeline(attempts, fault_at: float, back_at: float) -> dict:
    """Answers by status, and when the outage was felt: the first and last answer that was not a 200."""
    statuses = Counter(str(a.status) for *_, a in attempts)
    bad = [a for *_, a in attempts if a.status != 200 and a.finished >= fault_at]
    after = [a for *_, a in attempts if a.finished >= back_at]
    first_ok_after = min((a.finished for a in after if a.status == 200), default=None)
    return {
        "answers": dict(sorted(statuses.items())),
        "first_failure_after_fault_s": round(min(a.finished for a in bad) - fault_at, 2) if bad else None,
        "last_failure_after_recovery_s": round(max(a.finished for a in bad) - back_at, 2) if bad else None,
        "first_200_after_recovery_s": round(first_ok_after - back_at, 2) if first_ok_after else None,
    }


def worker_kill(gunicorn: Gunicorn, database_url: str, emails: list[str], ids: list[int]) -> dict:
    """kill -9 of the worker that holds a vote mid-transaction (its row lock is held), others voting meanwhile."""
    target_id, load_ids = ids[0], ids[1:]
    victim = Browser(gunicorn.base, address="127.9.1.250")
    assert victim.login(emails[0], _PASSWORD).status == 302
    citizens = _citizens(gunicorn.base, emails[1:], 1)
    answers = []
    with VoteLoad(citizens, load_ids, turns=300, pause=0.2) as load:
        wait_until(lambda: load.acknowledged() >= 20, 60, "votes under way")
        with psycopg.connect(_libpq(database_url)) as blocker:
            blocker.execute("SELECT id FROM contribution WHERE id = %s FOR UPDATE", (target_id,))
            voting = threading.Thread(target=lambda: answers.append(vote(victim, target_id, 1)))
            voting.start()
            with psycopg.connect(_libpq(database_url), autocommit=True) as watcher:
                row = wait_until(
                    lambda: watcher.execute(
                        "SELECT application_name FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND application_name LIKE 'consult pid %'"
                    ).fetchone(),
                    30,
                    "vote waiting on the row lock",
                )
            worker = int(row[0].rsplit(" ", 1)[1])
            killed_at = time.monotonic()
            gunicorn.kill_worker(worker)
            voting.join(timeout=30)
            blocker.rollback()
        replaced = wait_until(
            lambda: len(gunicorn.workers()) == 4 and worker not in gunicorn.workers(), 60, "replacement", 0.02
        )
        replaced_after = time.monotonic() - killed_at
        time.sleep(3)
    with psycopg.connect(_libpq(database_url)) as check:
        stored = check.execute("SELECT COUNT(*) FROM vote WHERE contribution_id = %s", (target_id,)).fetchone()[0]
    again = vote(victim, target_id, 1)
    return {
        "killed_request": answers[0].status if answers else None,  # 0: connection closed, no answer
        "killed_request_rows_stored": stored,
        "replacement_worker_after_s": round(replaced_after, 2) if replaced else None,
        "same_cookie_after": again.status,
        **_timeline(load.attempts, killed_at, killed_at),
        **_lost(database_url, load.attempts),
    }


def postgres_restart(postgres: Postgres, gunicorn: Gunicorn, database_url: str, emails, ids, down: float) -> dict:
    citizens = _citizens(gunicorn.base, emails, 2)
    visitor = Browser(gunicorn.base, address="127.9.2.250")
    with VoteLoad(citizens, ids, turns=1000, pause=0.2) as load:
        wait_until(lambda: load.acknowledged() >= 20, 60, "votes under way")
        stopped_at = time.monotonic()
        postgres.stop("fast")
        page = visitor.get("/consultations/")
        time.sleep(down)
        postgres.start()
        started_at = time.monotonic()
        time.sleep(8)
    return {
        "down_s": round(started_at - stopped_at, 1),
        "page_while_down": page.status,
        "retry_after": page.headers.get("Retry-After"),
        **_timeline(load.attempts, stopped_at, started_at),
        **_lost(database_url, load.attempts),
    }


def redis_stop(redis: Redis, gunicorn: Gunicorn, database_url: str, slug: str, emails, ids, down: float) -> dict:
    with psycopg.connect(_libpq(database_url), autocommit=True) as admin:
        admin.execute("UPDATE \"user\" SET role = 'analyst' WHERE email = %s", (emails[0],))
    analyst = _citizens(gunicorn.base, emails[:1], 3)[emails[0]]
    analyses = f"/consultations/{slug}/analyses"
    analyst.get(analyses)
    citizens = _citizens(gunicorn.base, emails[1:], 4)
    reader = Browser(gunicorn.base, address="127.9.3.250")
    with VoteLoad(citizens, ids, turns=1000, pause=0.2) as load:
        wait_until(lambda: load.acknowledged() >= 20, 60, "votes under way")
        stopped_at = time.monotonic()
        redis.stop()
        pages = Counter(str(reader.get(f"/contributions/{ids[0]}").status) for _ in range(10))
        queued = analyst.post(analyses, {"n_themes": "auto"})
        time.sleep(down)
        redis.start()
        started_at = time.monotonic()
        time.sleep(3)
    queued_again = analyst.post(analyses, {"n_themes": "auto"})
    limits = redis_client.Redis.from_url(redis.url(1))
    probe = Browser(gunicorn.base, address="127.9.3.251")
    back = wait_until(lambda: probe.login(emails[1], "wrong") and limits.keys("*"), 90, "limits in Redis", 1)
    return {
        "down_s": round(started_at - stopped_at, 1),
        "pages_while_down": dict(pages),
        "analysis_queued_while_down": queued.status,
        "analysis_queued_after": queued_again.status,
        "rate_limits_back_in_redis_after_s": round(time.monotonic() - started_at, 1) if back else None,
        **_timeline(load.attempts, stopped_at, started_at),
        **_lost(database_url, load.attempts),
    }


def sqlite_kill(folder: Path) -> dict:
    database_url = f"sqlite:///{folder / 'consult.db'}"
    seeded = seed(database_url, users=6, contributions=10, migrate=False)
    with DevServer(database_url) as server:
        citizens = {email: server.citizen(email, f"127.9.5.{n + 1}") for n, email in enumerate(seeded.emails)}
        with VoteLoad(citizens, seeded.contribution_ids, turns=500) as load:
            wait_until(lambda: load.acknowledged() >= 40, 60, "votes under way")
            server.kill()
    wal = (folder / "consult.db-wal").exists()
    with sqlite3.connect(folder / "consult.db") as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    lost = _lost(database_url, load.attempts)
    restart = time.monotonic()
    with DevServer(database_url) as server:
        page = server.citizen(seeded.emails[0], "127.9.5.250").get(f"/contributions/{seeded.contribution_ids[0]}")
        serving_after = time.monotonic() - restart
    return {
        "wal_left_behind": wal,
        "integrity_check": integrity,
        "answers": dict(Counter(str(a.status) for *_, a in load.attempts)),
        **lost,
        "restart_and_first_page_s": round(serving_after, 1),
        "first_page": page.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", type=float, default=5, help="seconds PostgreSQL and Redis stay down")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    results: dict = {"load_average_before": os.getloadavg()}
    with Postgres(durable=True) as postgres, Redis() as redis:
        database_url = postgres.create_database("consult")
        seeded = seed(database_url, users=40, contributions=40)
        emails, ids = seeded.emails, seeded.contribution_ids
        # The write limit (30 a minute per client) would answer 429 to these fast voters: raised, as only the
        # faults are measured here (the limits have tests of their own).
        env = production_environment(database_url, redis, CONSULT_RATE_LIMIT_WRITE="1000 per minute")
        with Gunicorn(env, workers=4, log=Path(tempfile.gettempdir()) / "consult-faults-gunicorn.log") as gunicorn:
            results["worker_kill_9"] = worker_kill(gunicorn, database_url, emails[0:9], ids[0:10])
            print("worker kill -9:", results["worker_kill_9"], flush=True)
            results["postgresql_restart"] = postgres_restart(
                postgres, gunicorn, database_url, emails[10:18], ids[10:20], args.down
            )
            print("PostgreSQL restart:", results["postgresql_restart"], flush=True)
            results["redis_stop"] = redis_stop(
                redis, gunicorn, database_url, seeded.slug, emails[20:29], ids[20:30], args.down
            )
            print("Redis stop:", results["redis_stop"], flush=True)
    with tempfile.TemporaryDirectory(prefix="consult-faults-sqlite.") as folder:
        results["sqlite_kill_9"] = sqlite_kill(Path(folder))
    print("SQLite kill -9:", results["sqlite_kill_9"], flush=True)
    results["load_average_after"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
