"""Load run: signed-in citizens browse, vote, comment and submit against gunicorn on PostgreSQL + Redis.

    .venv/bin/python -m bench.load [--citizens 200] [--duration 180] [--workers 4] [--think 1.5 4.5]

Everything runs on loopback in processes this script starts and stops itself (bench/servers.py): a PostgreSQL
cluster with the production durability settings, Redis, and `make serve-prod`'s gunicorn. Each citizen is one
thread with its own cookies and its own client address (X-Forwarded-For behind the trusted proxy, so the
per-client rate limits apply as in production); it acts, then thinks for a random time, until the duration is
over. Bounded: a fixed number of threads, a deadline, and a 120 s timeout per request.

Reports requests, errors, p50/p95 per endpoint, and the checks on what was written: vote rows == counters on
every contribution, each citizen's last acknowledged vote is the one stored, and contributions and comments
acknowledged == rows created.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.servers import HTMX, PASSWORD, Browser, Gunicorn, Postgres, Redis, production_environment, seed, vote_audit

WORDS = (
    "dossier médical partagé ordonnance pharmacie médecin traitant rendez-vous hôpital infirmière vaccin "
    "analyses résultats messagerie sécurisée consentement accès famille téléconsultation carte vitale "
    "application données hébergement confiance interopérabilité accessibilité handicap numérique territoire"
).split()
SORTS = ("recent", "agreed", "divisive", "consensus", "least_voted")


@dataclass
class Record:
    endpoint: str
    status: int
    seconds: float
    ok: bool
    error: str = ""


@dataclass
class Citizen:
    email: str
    browser: Browser
    rng: random.Random
    votes: dict[int, int] = field(default_factory=dict)  # last acknowledged value per contribution
    submitted: int = 0
    commented: int = 0


class Run:
    def __init__(self, base: str, slug: str, contribution_ids: list[int], think: tuple[float, float]):
        self.base = base
        self.slug = slug
        self.ids = list(contribution_ids)
        self.think = think
        self.records: list[Record] = []
        self._lock = threading.Lock()
        self.stop = threading.Event()

    def record(self, endpoint: str, answer, expected: tuple[int, ...], must_contain: str = "") -> bool:
        ok = answer.status in expected and (not must_contain or must_contain in answer.body)
        error = answer.error or ("" if ok else f"{answer.status} {answer.body[:200]!r}")
        with self._lock:
            self.records.append(Record(endpoint, answer.status, answer.seconds, ok, error))
        return ok

    # -- what a citizen does ----------------------------------------------------------------------------------

    def browse_list(self, c: Citizen) -> None:
        sort = c.rng.choice(SORTS)
        page = c.browser.get(f"/consultations/{self.slug}/contributions?sort={sort}")
        self.record("GET list", page, (200,))
        cursor = re.search(r'/contributions\?[^"]*after=([^"&]+)', page.body)
        if cursor and c.rng.random() < 0.5:  # the next page, as the "more" button asks for it (htmx partial)
            after = cursor.group(1)
            answer = c.browser.get(f"/consultations/{self.slug}/contributions?sort={sort}&after={after}", headers=HTMX)
            self.record("GET list, next page (htmx)", answer, (200,))

    def read_contribution(self, c: Citizen) -> None:
        contribution_id = c.rng.choice(self.ids)
        self.record("GET contribution", c.browser.get(f"/contributions/{contribution_id}"), (200,))
        if c.rng.random() < 0.5:
            thread = c.browser.get(f"/contributions/{contribution_id}/commentaires")
            self.record("GET comment thread", thread, (200,))

    def browse_home(self, c: Citizen) -> None:
        self.record("GET consultations", c.browser.get("/consultations/"), (200,))
        self.record("GET consultation", c.browser.get(f"/consultations/{self.slug}"), (200,))

    def vote(self, c: Citizen) -> None:
        contribution_id = c.rng.choice(self.ids)
        value = c.rng.choice((1, -1, 0))
        answer = c.browser.post(f"/contributions/{contribution_id}/vote", {"value": value}, headers=HTMX)
        # A refused vote answers 200 too (htmx swaps only 2xx): acknowledged means the "saved" status is shown.
        if self.record("POST vote (htmx)", answer, (200,), must_contain="Votre vote est enregistré."):
            c.votes[contribution_id] = value

    def comment(self, c: Citizen) -> None:
        contribution_id = c.rng.choice(self.ids)
        body = f"Commentaire de charge {c.rng.randrange(10**9)} : " + " ".join(c.rng.sample(WORDS, 8))
        answer = c.browser.post(f"/contributions/{contribution_id}/commentaires", {"body": body}, headers=HTMX)
        if self.record("POST comment (htmx)", answer, (200,), must_contain="Votre commentaire est publié."):
            c.commented += 1

    def submit(self, c: Citizen) -> None:
        form = c.browser.get(f"/consultations/{self.slug}/contribuer")
        if not self.record("GET submit form", form, (200,)):
            return
        n = c.rng.randrange(10**9)
        title = f"Idée {n} : " + " ".join(c.rng.sample(WORDS, 4))
        body = f"Proposition {n}. " + " ".join(c.rng.sample(WORDS, 20)) + "."
        answer = c.browser.post(
            f"/consultations/{self.slug}/contribuer", {"title": title, "body": body, "csrf_token": form.csrf()}
        )
        if self.record("POST contribution", answer, (303,)):
            c.submitted += 1
            page = c.browser.get(urlsplit(answer.headers["Location"]).path)  # the redirect, as a browser follows it
            self.record("GET contribution", page, (200,))

    ACTIONS = (
        (browse_list, 30),
        (read_contribution, 30),
        (browse_home, 8),
        (vote, 22),
        (comment, 6),
        (submit, 4),
    )

    def live(self, c: Citizen, deadline: float) -> None:
        actions, weights = zip(*self.ACTIONS, strict=True)
        time.sleep(c.rng.uniform(0, self.think[1]))  # spread the start
        while time.monotonic() < deadline and not self.stop.is_set():
            c.rng.choices(actions, weights)[0](self, c)
            time.sleep(c.rng.uniform(*self.think))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def table(records: list[Record], seconds: float) -> list[dict]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        groups[record.endpoint].append(record)
    rows = []
    for endpoint, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        times = [r.seconds * 1000 for r in items]
        rows.append(
            {
                "endpoint": endpoint,
                "requests": len(items),
                "per_second": round(len(items) / seconds, 2),
                "errors": sum(not r.ok for r in items),
                "p50_ms": round(percentile(times, 0.50)),
                "p95_ms": round(percentile(times, 0.95)),
                "max_ms": round(max(times)),
            }
        )
    return rows


def written_checks(database_url: str, citizens: list[Citizen], seeded_contributions: int) -> dict:
    from sqlalchemy import create_engine, text

    audit = vote_audit(database_url)
    acknowledged = {(c.email, cid): value for c in citizens for cid, value in c.votes.items()}
    wrong = [key for key, value in acknowledged.items() if audit["votes"].get(key) != value]
    engine = create_engine(database_url)
    with engine.connect() as connection:
        contributions = connection.execute(text("SELECT COUNT(*) FROM contribution")).scalar_one()
        comments = connection.execute(text("SELECT COUNT(*) FROM comment")).scalar_one()
    engine.dispose()
    return {
        "vote_rows": audit["vote_rows"],
        "counter_mismatches": audit["counter_mismatches"],
        "acknowledged_votes": len(acknowledged),
        "acknowledged_votes_not_stored": len(wrong),
        "contributions_acknowledged": sum(c.submitted for c in citizens),
        "contributions_created": contributions - seeded_contributions,
        "comments_acknowledged": sum(c.commented for c in citizens),
        "comments_created": comments,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--duration", type=float, default=180, help="seconds of load after every citizen signed in")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--contributions", type=int, default=300, help="published contributions seeded first")
    parser.add_argument("--think", type=float, nargs=2, default=(1.5, 4.5), metavar=("MIN", "MAX"))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--log", type=Path, default=Path("/tmp/consult-load-gunicorn.log"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    started_at = datetime.now(UTC)
    with Postgres(durable=True, max_connections=200) as postgres, Redis() as redis:
        database_url = postgres.create_database("consult")
        seeded = seed(database_url, users=args.citizens, contributions=args.contributions)
        env = production_environment(database_url, redis)
        with Gunicorn(env, workers=args.workers, log=args.log) as gunicorn:
            run = Run(gunicorn.base, seeded.slug, seeded.contribution_ids, tuple(args.think))

            def sign_in(n: int) -> Citizen:
                # One client address per citizen (127.1.x.y), as many people behind the proxy.
                browser = Browser(gunicorn.base, address=f"127.1.{n // 250}.{n % 250 + 1}")
                run.record("POST login", browser.login(seeded.emails[n], PASSWORD), (302,))
                return Citizen(seeded.emails[n], browser, random.Random(n))

            t0 = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                citizens = list(pool.map(sign_in, range(args.citizens)))
            print(f"{args.citizens} citizens signed in in {time.monotonic() - t0:.1f} s", flush=True)

            loads: list[tuple[float, float, float]] = []
            deadline = time.monotonic() + args.duration
            threads = [threading.Thread(target=run.live, args=(c, deadline), daemon=True) for c in citizens]
            load_start = time.monotonic()
            run.records = [r for r in run.records if r.endpoint == "POST login"]
            logins = list(run.records)
            run.records = []
            for thread in threads:
                thread.start()
            while time.monotonic() < deadline:
                time.sleep(min(10, max(0.1, deadline - time.monotonic())))
                loads.append(os.getloadavg())
                done = len(run.records)
                print(f"  {time.monotonic() - load_start:5.0f} s  {done} requests  load {loads[-1][0]:.1f}", flush=True)
            for thread in threads:
                thread.join(timeout=150)  # a request in flight ends within its 120 s timeout
            run.stop.set()
            elapsed = time.monotonic() - load_start
            records = run.records
        checks = written_checks(database_url, citizens, args.contributions)
    log_text = args.log.read_text(errors="replace") if args.log.exists() else ""

    rows = table(records, elapsed)
    errors = [r for r in records if not r.ok]
    result = {
        "command": "python -m bench.load "
        + " ".join(
            f"--{k} {' '.join(map(str, v)) if isinstance(v, (tuple, list)) else v}"
            for k, v in vars(args).items()
            if k not in ("json", "log")
        ),
        "date": started_at.isoformat(timespec="minutes"),
        "cpus": os.cpu_count(),
        "load_average_during": {
            "mean_1min": round(sum(x[0] for x in loads) / len(loads), 2) if loads else None,
            "max_1min": round(max(x[0] for x in loads), 2) if loads else None,
        },
        "seconds": round(elapsed, 1),
        "requests": len(records),
        "requests_per_second": round(len(records) / elapsed, 1),
        "errors": len(errors),
        "error_samples": [f"{r.endpoint}: {r.error}" for r in errors[:10]],
        "login": table(logins, 1)[0] if logins else None,
        "endpoints": rows,
        "written": checks,
        "gunicorn_log": {
            "tracebacks": log_text.count("Traceback"),
            "worker_timeouts": log_text.count("WORKER TIMEOUT"),
            "errors": len(re.findall(r"\[ERROR\]", log_text)),
        },
    }
    print(
        f"\n{result['requests']} requests in {result['seconds']} s ({result['requests_per_second']}/s), "
        f"{result['errors']} errors; load average during the run {result['load_average_during']}"
    )
    print(f"{'endpoint':<30} {'requests':>8} {'req/s':>7} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for row in rows:
        print(
            f"{row['endpoint']:<30} {row['requests']:>8} {row['per_second']:>7} {row['errors']:>6} "
            f"{row['p50_ms']:>7} {row['p95_ms']:>7} {row['max_ms']:>7}"
        )
    print("written:", json.dumps(checks))
    print("gunicorn log:", json.dumps(result["gunicorn_log"]))
    for sample in result["error_samples"]:
        print("  error:", sample)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    lost = (
        checks["counter_mismatches"]
        or checks["acknowledged_votes_not_stored"]
        or checks["contributions_acknowledged"] != checks["contributions_created"]
        or checks["comments_acknowledged"] != checks["comments_created"]
    )
    raise SystemExit(1 if errors or lost else 0)


if __name__ == "__main__":
    main()
