"""Participation at scale: 100,000 contributions, 1,000,000 votes, then latency per endpoint.

    python -m bench.participation --url sqlite:////tmp/bench.db
    eval "$(scripts/pg-throwaway.sh start 56400)"
    # the "bench" database is created if missing:
    python -m bench.participation --url "${CONSULT_TEST_POSTGRES_URL%/*}/bench"
    scripts/pg-throwaway.sh stop $PGTHROWAWAY_DIR

The schema comes from SQLModel.metadata.create_all (same tables and indexes as the migrations), the
rows from one bulk transaction (executemany on SQLite, COPY on PostgreSQL). Requests go through the
Flask test client (in process: no network, no WSGI server), with rate limits and CSRF off.
Routes are found by endpoint name, so the HTML pages are used when they exist, else the JSON API.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from consult.votes.services import consensus_score, divisive_score

SEED = 42
SLUG = "bench-participation"
# Body sentences drawn at random, so that words have realistic frequencies: "santé" in most texts, "dossier" in
# about a third, "pharmacie" in a few percent, and RARE_WORD in one text in a thousand (100 at 100,000).
SENTENCES = [
    "Le numérique en santé doit rester humain.",
    "Mon dossier médical doit être accessible partout.",
    "Les données de santé doivent être protégées.",
    "La téléconsultation aide les zones rurales.",
    "Il faut former les soignants aux outils numériques.",
    "Les personnes âgées ont besoin d'accompagnement.",
    "Mon espace santé devrait être plus simple.",
    "La sobriété numérique compte aussi à l'hôpital.",
    "Les logiciels des médecins doivent communiquer entre eux.",
    "Une ordonnance numérique éviterait des erreurs en pharmacie.",
    "L'intelligence artificielle doit rester explicable.",
    "Chacun doit pouvoir refuser le partage de ses données.",
]
RARE_WORD = "échographie"
TITLES = [
    "mon dossier médical",
    "la téléconsultation",
    "protéger les données",
    "l'accessibilité",
    "la sobriété numérique",
    "former les soignants",
    "l'ordonnance numérique",
    "des logiciels qui se parlent",
]
THEMES = [f"T{n:02d}" for n in range(1, 19)]
PRINCIPLES = [f"P{n:02d}" for n in range(1, 17)]
# Endpoint candidates, best first: the HTML pages, else the JSON API (same queries).
LIST_ENDPOINTS = ("contributions.index", "api.contributions")
DETAIL_ENDPOINTS = ("contributions.detail", "api.contribution")
VOTE_ENDPOINTS = ("votes.vote",)
TRIVIAL_ENDPOINTS = ("pages.legal", "api.openapi")


@dataclass
class Sizes:
    contributions: int = 100_000
    votes: int = 1_000_000
    users: int = 20_000


# --------------------------------------------------------------------------------------------------
# Data


def _timestamp(value: datetime, sqlite: bool):
    # SQLAlchemy stores SQLite datetimes as naive UTC text; PostgreSQL takes aware values.
    return value.replace(tzinfo=None).isoformat(" ") if sqlite else value


def generate(sizes: Sizes, *, sqlite: bool, now: datetime):
    """Return the rows to insert; vote counters are computed from the generated votes."""
    rng = random.Random(SEED)
    opens = now - timedelta(days=60)
    users = [
        (
            n,
            f"bench{n}@bench.invalid",
            f"Participant·e {n}",
            "citizen",
            _timestamp(opens, sqlite),
            1,
        )
        for n in range(1, sizes.users + 1)
    ]
    statuses = ["published"] * 94 + ["pending"] * 3 + ["hidden", "rejected", "withdrawn"]
    status_of = [rng.choice(statuses) for _ in range(sizes.contributions)]
    # Skewed popularity (a few contributions get many votes); only published ones get votes.
    weights = [rng.paretovariate(1.3) if status == "published" else 0.0 for status in status_of]
    scale = sizes.votes / sum(weights)
    counts = [min(sizes.users - 1, int(w * scale)) for w in weights]
    shortfall = sizes.votes - sum(counts)
    published = [i for i, status in enumerate(status_of) if status == "published"]
    while shortfall > 0:
        for index in rng.sample(published, k=min(shortfall, len(published))):
            if counts[index] < sizes.users - 1:
                counts[index] += 1
                shortfall -= 1
    contributions, votes, labels = [], [], []
    for index in range(sizes.contributions):
        cid = index + 1
        created = opens + timedelta(seconds=index * (59 * 86400 / sizes.contributions))
        author = rng.randrange(1, sizes.users + 1)
        status = status_of[index]
        agree = disagree = passes = 0
        if status == "published":
            lean = rng.random()
            for user in rng.sample(range(1, sizes.users + 1), counts[index]):
                draw = rng.random()
                value = 1 if draw < lean else (-1 if draw < 0.9 else 0)
                agree += value == 1
                disagree += value == -1
                passes += value == 0
                when = _timestamp(created + timedelta(minutes=rng.randrange(1, 1440)), sqlite)
                votes.append((cid, user, value, when, when))
        total = agree + disagree + passes
        stamp = _timestamp(created, sqlite)
        contributions.append(
            (
                cid,
                1,
                author,
                f"Contribution {cid} : {rng.choice(TITLES)}",
                f"Texte de la contribution {cid}. "
                + " ".join(rng.choices(SENTENCES, k=rng.randint(1, 8)))
                + (f" {RARE_WORD}." if index % 1000 == 7 else ""),
                rng.choice(THEMES),
                status,
                "web",
                stamp,
                stamp,
                stamp if status == "published" else None,
                agree,
                disagree,
                passes,
                total,
                consensus_score(agree, disagree, total),
                divisive_score(agree, disagree),
                0,
                0,
            )
        )
        for principle in rng.sample(PRINCIPLES, rng.randint(1, 2)):
            labels.append((cid, principle, "author"))
    return users, contributions, votes, labels, opens


CONTRIBUTION_COLUMNS = (
    "id, consultation_id, author_id, title, body, theme_id, status, channel, created_at, "
    "updated_at, published_at, agree_count, disagree_count, pass_count, vote_count, "
    "consensus_score, divisive_score, "
    "comment_count, flag_count"
)
USER_COLUMNS = "id, email, pseudonym, role, created_at, session_version"
VOTE_COLUMNS = "contribution_id, user_id, value, created_at, updated_at"
LABEL_COLUMNS = "contribution_id, principle_id, source"


def load(engine, sizes: Sizes) -> dict:
    """Create the schema and the taxonomy, then bulk-insert everything in one transaction."""
    from sqlmodel import Session

    from consult.taxonomy.services import read_taxonomy, sync_taxonomy

    sqlite = engine.dialect.name == "sqlite"
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        sync_taxonomy(session=session, data=read_taxonomy("config/taxonomy.yaml"))
        session.commit()
    now = datetime.now(UTC)
    started = time.perf_counter()
    users, contributions, votes, labels, opens = generate(sizes, sqlite=sqlite, now=now)
    generated = time.perf_counter() - started
    consultation = (
        1,
        SLUG,
        "Banc d'essai",
        "Résumé",
        "",
        "Question ?",
        _timestamp(opens, sqlite),
        _timestamp(now + timedelta(days=30), sqlite),
        "post",
        _timestamp(opens, sqlite),
    )
    tables = [
        (
            "consultation",
            "id, slug, title, summary, description, question, opens_at, closes_at, moderation, created_at",
            [consultation],
        ),
        ('"user"' if not sqlite else "user", USER_COLUMNS, users),
        ("contribution", CONTRIBUTION_COLUMNS, contributions),
        ("contributionprinciple", LABEL_COLUMNS, labels),
        ("vote", VOTE_COLUMNS, votes),
    ]
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, rows in tables:
            if sqlite:
                marks = ", ".join("?" * len(columns.split(",")))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            else:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        if not sqlite:
            for table in ("consultation", "user", "contribution", "vote"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
                )
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return {
        "generate_s": generated,
        "insert_s": time.perf_counter() - started,
        "votes": len(votes),
        "contributions": len(contributions),
    }


# --------------------------------------------------------------------------------------------------
# Measurements


def _first_endpoint(app, candidates):
    names = {rule.endpoint for rule in app.url_map.iter_rules()}
    return next((name for name in candidates if name in names), None)


def _sorts(list_endpoint: str) -> list[str]:
    if list_endpoint == "contributions.index":
        from consult.contributions.listing import SORTS
    else:
        from consult.api.services import SORTS
    return list(SORTS)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Recorder:
    """Collect the SQL statements of one request with their durations (for EXPLAIN)."""

    def __init__(self, engine):
        self.engine, self.statements, self.active = engine, [], False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.statements.append((time.perf_counter() - conn.info["bench_started"], statement, parameters))


def measure(app, requests: int) -> tuple[list[dict], dict]:
    from flask import url_for

    client = app.test_client()
    list_endpoint = _first_endpoint(app, LIST_ENDPOINTS)
    detail_endpoint = _first_endpoint(app, DETAIL_ENDPOINTS)
    vote_endpoint = _first_endpoint(app, VOTE_ENDPOINTS)
    trivial_endpoint = _first_endpoint(app, TRIVIAL_ENDPOINTS)
    rng = random.Random(SEED)
    engine = app.extensions["consult.engine"]
    with engine.connect() as conn:
        published = [
            row[0] for row in conn.execute(text("SELECT id FROM contribution WHERE status = 'published' ORDER BY id"))
        ]
    with app.test_request_context():

        def url(endpoint, **values):
            return url_for(endpoint, **values)

        cases = [("trivial page", lambda: url(trivial_endpoint), "GET")]
        for sort in _sorts(list_endpoint):
            cases.append((f"list sort={sort}", lambda s=sort: url(list_endpoint, slug=SLUG, sort=s), "GET"))
        cases.append(("list theme=T05", lambda: url(list_endpoint, slug=SLUG, theme="T05"), "GET"))
        cases.append(("list principle=P09", lambda: url(list_endpoint, slug=SLUG, principle="P09"), "GET"))
        searches = [("rare word", RARE_WORD), ("common word", "santé"), ("two words", "dossier médical")]
        searches += [("plural of a frequent word", "numériques"), ("another frequent word", "pharmacie")]
        for label, q in searches:
            cases.append((f"list q={q} ({label})", lambda q=q: url(list_endpoint, slug=SLUG, q=q), "GET"))
        cases.append(("api list q=santé (relevance)", lambda: url("api.contributions", slug=SLUG, q="santé"), "GET"))
        cases.append(("api list q=échographie", lambda: url("api.contributions", slug=SLUG, q=RARE_WORD), "GET"))
        if list_endpoint != "api.contributions":
            for sort in ("recent", "least_voted"):
                api_url = lambda s=sort: url("api.contributions", slug=SLUG, sort=s)  # noqa: E731
                cases.append((f"api list sort={sort}", api_url, "GET"))
        cases.append(
            (
                "contribution page",
                lambda: url(detail_endpoint, contribution_id=rng.choice(published)),
                "GET",
            )
        )
        if vote_endpoint:
            cases.append(
                (
                    "vote POST",
                    lambda: url(vote_endpoint, contribution_id=rng.choice(published)),
                    "POST",
                )
            )
    if vote_endpoint:
        # A fresh voter each run, so every POST inserts a vote (never an update).
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM vote WHERE user_id = 1"))
        with client.session_transaction() as flask_session:
            flask_session["user_id"], flask_session["user_version"] = 1, 1

    with app.app_context():
        from sqlmodel import Session, func, select

        from consult.contributions import search
        from consult.models import Contribution

        with Session(engine) as session:
            for q in ("échographie", "santé", "dossier médical", "numériques", "pharmacie"):
                statement, _, _ = search.apply(
                    select(func.count()).select_from(Contribution), search.parse(q), engine.dialect.name
                )
                print(f"matches of q={q!r}: {session.exec(statement).one()}", flush=True)
    # Round-robin over the cases, so load spikes from other processes hit every endpoint alike.
    with app.test_request_context():
        urls = {name: [make() for _ in range(requests + 3)] for name, make, _ in cases}
    samples = {name: [] for name, _, _ in cases}
    statuses = {}
    for index in range(requests + 3):
        for name, _, method in cases:
            target = urls[name][index]
            started = time.perf_counter()
            if method == "POST":
                response = client.post(target, data={"value": rng.choice((1, -1, 0))})
            else:
                response = client.get(target)
            elapsed = time.perf_counter() - started
            statuses[name] = response.status_code
            if index >= 3:  # warm-up
                samples[name].append(elapsed * 1000)
    results = [
        {
            "name": name,
            "method": method,
            "status": statuses[name],
            "median": statistics.median(samples[name]),
            "p95": _percentile(samples[name], 0.95),
            "rps": 1000 / statistics.mean(samples[name]),
        }
        for name, _, method in cases
    ]
    # Record the SQL of one request per read case; re-run each statement alone to time it.
    recorder, plans, timed = Recorder(engine), {}, []
    for name, make, method in cases:
        if method != "GET" or name.startswith("trivial"):
            continue
        with app.test_request_context():
            target = make()
        recorder.statements, recorder.active = [], True
        client.get(target)
        recorder.active = False
        statements = [(time_statement(engine, st, params), st, params, name) for _, st, params in recorder.statements]
        main = max(
            (t for t in statements if re.search(r"FROM contribution\b", t[1])),
            key=lambda t: t[0],
            default=None,
        )
        if main:
            plans[name] = (main[0], explain(engine, main[1], main[2]))
        timed += statements
    info = {
        "list_endpoint": list_endpoint,
        "detail_endpoint": detail_endpoint,
        "vote_endpoint": vote_endpoint,
        "trivial_endpoint": trivial_endpoint,
        "plans": plans,
        "statements": sorted(timed, key=lambda t: t[0], reverse=True),
    }
    return results, info


def _raw_cursor(conn):
    return conn.connection.driver_connection.cursor()


def time_statement(engine, statement: str, parameters, runs: int = 3) -> float:
    """Run a recorded statement to completion (execute + fetch); the best of `runs`, in seconds."""
    best = float("inf")
    with engine.connect() as conn:
        cursor = _raw_cursor(conn)
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(statement, parameters)
            cursor.fetchall()
            best = min(best, time.perf_counter() - started)
    return best


def explain(engine, statement: str, parameters) -> str:
    with engine.connect() as conn:
        cursor = _raw_cursor(conn)
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(f"{row[0]}|{row[1]}| {row[3]}" for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())


def report(results: list[dict], info: dict, loaded: dict, engine) -> str:
    out = io.StringIO()
    backend = engine.dialect.name
    out.write(
        f"\n### {backend}: {loaded['contributions']:,} contributions, {loaded['votes']:,} votes "
        f"(generated in {loaded['generate_s']:.1f} s, inserted in {loaded['insert_s']:.1f} s)\n\n"
    )
    out.write(
        f"Endpoints: list `{info['list_endpoint']}`, contribution `{info['detail_endpoint']}`, "
        f"vote `{info['vote_endpoint']}`, trivial `{info['trivial_endpoint']}`.\n\n"
    )
    out.write("| request | status | median ms | p95 ms | req/s (1 client) |\n|---|---|---|---|---|\n")
    for r in results:
        out.write(
            f"| {r['method']} {r['name']} | {r['status']} | {r['median']:.1f} | {r['p95']:.1f} | {r['rps']:.0f} |\n"
        )
    trivial = results[0]["rps"]
    listing = next(r for r in results if r["name"] == "list sort=recent")
    out.write(
        f"\nList page (recent) throughput / trivial page throughput: "
        f"{listing['rps']:.0f} / {trivial:.0f} = {listing['rps'] / trivial:.2f}\n"
    )
    out.write(
        "\nMain contribution query of each read request (re-run alone, execute + fetch) "
        "and its plan's "
        "access path:\n\n| request | SQL ms | access path |\n|---|---|---|\n"
    )
    for name, (duration, plan) in info["plans"].items():
        access = [
            line.strip()
            for line in plan.splitlines()
            if "contribution" in line.lower()
            and (
                "Scan" in line
                or "SCAN" in line
                or "SEARCH" in line
                or "Index" in line
                or "TEMP" in line
                or "Sort" in line
            )
        ]
        out.write(f"| {name} | {duration * 1000:.1f} | {'; '.join(access[:3]).replace('|', '/')} |\n")
    duration, statement, parameters, name = info["statements"][0]
    out.write(
        f"\nSlowest statement overall ({name}, {duration * 1000:.1f} ms):\n"
        f"```sql\n{' '.join(statement.split())}\n```\n"
        f"```\n{explain(engine, statement, parameters)}\n```\n"
    )
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/consult-bench.db")
    parser.add_argument("--contributions", type=int, default=Sizes.contributions)
    parser.add_argument("--votes", type=int, default=Sizes.votes)
    parser.add_argument("--users", type=int, default=Sizes.users)
    parser.add_argument("--requests", type=int, default=60, help="measured requests per endpoint")
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    args = parser.parse_args()

    url = make_url(args.url)
    if url.get_backend_name() == "postgresql":
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first():
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()

    from consult import create_app

    app = create_app(
        {
            "DATABASE_URL": args.url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "TESTING": False,
        }
    )
    engine = app.extensions["consult.engine"]
    sizes = Sizes(args.contributions, args.votes, args.users)
    if args.reuse:
        with engine.connect() as conn:
            loaded = {
                "contributions": conn.execute(text("SELECT count(*) FROM contribution")).scalar(),
                "votes": conn.execute(text("SELECT count(*) FROM vote")).scalar(),
                "generate_s": 0.0,
                "insert_s": 0.0,
            }
    else:
        loaded = load(engine, sizes)
    print(f"loaded: {loaded}", flush=True)
    results, info = measure(app, args.requests)
    print(report(results, info, loaded, engine))


if __name__ == "__main__":
    main()
