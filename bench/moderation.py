"""Moderation and in-site analysis at scale (issue 7). Each part prints its figures; bench/RESULTS.md records them.

    python -m bench.moderation labels [--url URL] [--n 300]   # automatic labels of one new contribution (p50/p95)
    python -m bench.moderation run [--url URL] [--themes 20]  # full analysis run of the 30,000 Grand débat answers
    python -m bench.moderation queue [--url URL] [--n 40]     # moderation queue and item panel at 100,000 contributions
    (from a worktree add --data /work/shared/data/granddebat-2019-sample)

Both import the Grand débat sample (../shared/data/granddebat-2019-sample, read in place, never copied) into a
consultation of a bench database (a SQLite file in /tmp by default; any CONSULT_DATABASE_URL-style URL works,
e.g. a throwaway PostgreSQL database), once; `--votes` adds seeded synthetic votes (the sample has none) so that
the run computes opinion groups too. `run` starts `consult analyse SLUG --wait` in a fresh process, as a worker
would run it, and reports the run's stored timings and the peak memory of that process.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, insert
from sqlmodel import SQLModel, select

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "granddebat-2019-sample"
SLUG = "bench-grand-debat"
SEED = 7
DEFAULT_URL = "sqlite:////tmp/consult-bench-moderation.db"


def load_answers(limit: int | None = None) -> list[str]:
    path = DATA / "responses_sample.csv"  # main() may point DATA elsewhere (--data)
    if not path.is_file():
        sys.exit(f"needs the shared data: {path} not found")
    with path.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"].strip() for row in csv.DictReader(handle) if row["text"].strip()]
    return texts[:limit] if limit else texts


def make_bench_app(url: str):
    from consult import create_app

    os.environ.setdefault("CONSULT_ANALYSIS_PRELOAD", "false")
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    SQLModel.metadata.create_all(app.extensions["consult.engine"])
    return app


def ensure_consultation(app, *, n_voters: int, votes_each: int) -> int:
    """Import the answers into the bench consultation (once) and return its id."""
    from datetime import timedelta

    from consult.db import get_session
    from consult.models import Consultation, Contribution, ContributionStatus, User, Vote, utcnow
    from consult.taxonomy.services import read_taxonomy, sync_taxonomy

    with app.app_context():
        session = get_session()
        sync_taxonomy(session=session, data=read_taxonomy(app.config["TAXONOMY_PATH"]))
        consultation = session.exec(select(Consultation).where(Consultation.slug == SLUG)).first()
        if consultation is not None:
            if n_voters and not session.exec(select(func.count()).select_from(Vote)).one():
                ids = list(session.exec(select(Contribution.id).where(Contribution.consultation_id == consultation.id)))
                _add_votes(session, ids, n_voters, votes_each)
            session.commit()
            return consultation.id
        started = time.perf_counter()
        now = utcnow()
        consultation = Consultation(
            slug=SLUG,
            title="Grand débat national 2019 (échantillon, banc d'essai)",
            summary="Réponses du Grand débat importées pour mesurer l'analyse.",
            question="Réponses libres",
            opens_at=now - timedelta(days=30),
            closes_at=now + timedelta(days=30),
        )
        author = User(email="bench-author@example.invalid", pseudonym="Import Grand débat", created_at=now)
        session.add_all([consultation, author])
        session.flush()
        rows = [
            {
                "consultation_id": consultation.id,
                "author_id": author.id,
                "title": _title(text),
                "body": text[:5000],
                "status": ContributionStatus.PUBLISHED,
                "channel": "import",
                "created_at": now,
                "updated_at": now,
                "published_at": now,
            }
            for text in load_answers()
        ]
        session.execute(insert(Contribution), rows)
        ids = list(session.exec(select(Contribution.id).where(Contribution.consultation_id == consultation.id)))
        if n_voters:
            _add_votes(session, ids, n_voters, votes_each)
        session.commit()
        print(f"imported {len(ids)} answers in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return consultation.id


def _title(text: str) -> str:
    words = text.split()
    title = " ".join(words[:12])
    return (title[:137] + "…") if len(title) > 138 else title or "(sans titre)"


def _add_votes(session, ids: list[int], n_voters: int, votes_each: int) -> None:
    """Seeded synthetic votes: two camps that each agree with a different half of the answers."""
    from consult.models import User, Vote, utcnow

    rng = random.Random(SEED)
    now = utcnow()
    users = [
        {"email": f"bench-voter{i}@example.invalid", "pseudonym": f"Votant {i}", "created_at": now}
        for i in range(n_voters)
    ]
    session.execute(insert(User), users)
    user_ids = list(session.exec(select(User.id).where(User.email.like("bench-voter%"))))
    votes = []
    for user_id in user_ids:
        camp = user_id % 2
        for contribution_id in rng.sample(ids, votes_each):
            agree = (contribution_id % 2 == camp) == (rng.random() < 0.8)
            votes.append(
                {
                    "contribution_id": contribution_id,
                    "user_id": user_id,
                    "value": 1 if agree else -1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    session.execute(insert(Vote), votes)


def bench_labels(url: str, n: int) -> None:
    """Time consult.analysis.automatic.label_contribution on new contributions of the 30,000-answer consultation."""
    from consult.analysis.automatic import label_contribution
    from consult.analysis.labels import label_models
    from consult.db import get_session
    from consult.models import Contribution, ContributionStatus, User

    app = make_bench_app(url)
    consultation_id = ensure_consultation(app, n_voters=0, votes_each=0)
    texts = load_answers()
    rng = random.Random(SEED)
    samples = [t for t in rng.sample(texts, n + 20) if len(t) >= 30]
    with app.app_context():
        session = get_session()
        author = session.exec(select(User).where(User.email == "bench-author@example.invalid")).one()
        started = time.perf_counter()
        label_models.refresh(session)
        warm = time.perf_counter() - started
        timings, cpu_timings = [], []
        for i, text in enumerate(samples[: n + 10]):
            contribution = Contribution(
                consultation_id=consultation_id,
                author_id=author.id,
                title=_title(text),
                body=text[:5000],
                status=ContributionStatus.PENDING,
            )
            session.add(contribution)
            session.flush()
            start, cpu_start = time.perf_counter(), time.process_time()
            assert label_contribution(session=session, contribution=contribution)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            session.rollback()  # the bench database keeps its 30,000 answers only
            if i >= 10:  # the first calls build the similarity index of the consultation
                timings.append(elapsed * 1000)
                cpu_timings.append(cpu * 1000)
        count = session.exec(select(func.count()).where(Contribution.consultation_id == consultation_id)).one()
    timings.sort()
    cpu_timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    cpu_p95 = cpu_timings[int(0.95 * (len(cpu_timings) - 1))]
    print(f"database: {url.split('://')[0]}, consultation of {count} contributions, load {os.getloadavg()}")
    print(f"models and index warm-up: {warm:.1f} s (once per process)")
    print(
        f"automatic labels of one new contribution, {len(timings)} samples: "
        f"p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, max {timings[-1]:.0f} ms"
    )
    # CPU time of this process: what the labels cost whatever the neighbours on a shared machine do.
    print(f"  CPU time: p50 {statistics.median(cpu_timings):.0f} ms, p95 {cpu_p95:.0f} ms")


def bench_run(url: str, themes: str, n_voters: int, votes_each: int) -> None:
    """A full run in a fresh process (`consult analyse --wait`); print its stored timings and peak memory."""
    from consult.db import get_session
    from consult.models import AnalysisRun

    app = make_bench_app(url)
    consultation_id = ensure_consultation(app, n_voters=n_voters, votes_each=votes_each)
    env = os.environ | {"CONSULT_DATABASE_URL": url, "CONSULT_REDIS_URL": "", "CONSULT_ANALYSIS_PRELOAD": "false"}
    consult = Path(sys.executable).with_name("consult")
    load_before = os.getloadavg()
    started = time.perf_counter()
    process = subprocess.run(
        [str(consult), "analyse", SLUG, "--themes", themes, "--wait"], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    print(process.stdout[-2000:], process.stderr[-2000:], sep="\n", file=sys.stderr)
    with app.app_context():
        session = get_session()
        run = session.exec(
            select(AnalysisRun).where(AnalysisRun.consultation_id == consultation_id).order_by(AnalysisRun.id.desc())
        ).first()
    print(f"database: {url.split('://')[0]}; load before {load_before}, after {os.getloadavg()}")
    print(f"run {run.id}: {run.status} {run.error or ''}")
    print(f"contributions {run.n_contributions}, votes {run.n_votes}, participants {run.n_participants}")
    print(f"wall time of the command (process start to results committed): {wall:.1f} s")
    print(f"run timings (s): {run.timings}")
    print(f"peak memory of the process that ran it: {run.peak_memory_mb} MB")
    print(f"summary: { {k: v for k, v in run.summary.items() if k not in ('principles', 'reference_themes')} }")


QUEUE_URL = "sqlite:////tmp/consult-bench-queue.db"
QUEUE_PAGES = {
    "queue: to triage (pending, flagged, comments)": "/moderation/",
    "queue: pending": "/moderation/?state=pending",
    "queue: flagged": "/moderation/?state=flagged",
    "queue: published, page 1": "/moderation/?state=published",
    "queue: published, page 100": "/moderation/?state=published&page=100",
    "queue: theme T02 + principle P06": "/moderation/?state=published&theme=T02&principle=P06",
    "queue: personal data detected": "/moderation/?state=published&personal_data=1",
    "queue: low confidence": "/moderation/?confidence=faible",
    "queue: htmx fragment": "/moderation/?fragment=queue&state=pending",
    "journal": "/moderation/journal",
}


def _fill_moderation_data(engine, rng: random.Random) -> None:
    """Flags, pending comments and automatic labels on top of the participation bench's 100,000 contributions."""
    from sqlalchemy import text

    from consult.models import AutomaticLabel, Comment, Flag, utcnow

    now = utcnow()
    with engine.begin() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT id FROM contribution ORDER BY id"))]
        published = [row[0] for row in conn.execute(text("SELECT id FROM contribution WHERE status = 'published'"))]
        users = conn.execute(text("SELECT max(id) FROM " + ('"user"' if engine.dialect.name != "sqlite" else "user")))
        n_users = users.scalar_one()
        flags = []
        for contribution_id in rng.sample(published, 1500):
            for user_id in rng.sample(range(1, n_users + 1), rng.randint(1, 2)):
                resolved = now if rng.random() < 0.3 else None
                flags.append(
                    {
                        "user_id": user_id,
                        "contribution_id": contribution_id,
                        "reason": "spam",
                        "details": "",
                        "created_at": now,
                        "resolved_at": resolved,
                    }
                )
        comments = [
            {
                "contribution_id": rng.choice(published),
                "author_id": rng.randint(1, n_users),
                "body": f"Commentaire {n}",
                "status": "pending" if n % 2 else "published",
                "created_at": now,
                "updated_at": now,
                "flag_count": 0,
            }
            for n in range(2000)
        ]
        conn.execute(insert(Comment.__table__), comments)
        comment_ids = [row[0] for row in conn.execute(text("SELECT id FROM comment ORDER BY id"))]
        conn.execute(insert(Flag.__table__), flags)
        flags = [
            {
                "user_id": rng.randint(1, n_users),
                "comment_id": comment_id,
                "reason": "hors_sujet",
                "details": "",
                "created_at": now,
                "resolved_at": None,
            }
            for comment_id in rng.sample(comment_ids, 300)
        ]
        conn.execute(insert(Flag.__table__), flags)
        labels = [
            {
                "contribution_id": cid,
                "theme_id": f"T{rng.randint(1, 18):02d}",
                "theme_score": rng.random(),
                "theme_words": ["donnée", "dossier"],
                "confidence": rng.random(),
                "duplicate_candidates": [],
                "personal_data": [],
                "has_personal_data": rng.random() < 0.02,
                "has_duplicates": rng.random() < 0.03,
                "model_version": "bench",
                "labelled_at": now,
            }
            for cid in ids
            if rng.random() < 0.8
        ]
        conn.execute(insert(AutomaticLabel.__table__), labels)
        conn.execute(text("ANALYZE"))


def bench_queue(url: str, n: int, votes: int) -> None:
    """Queue pages and item panels at 100,000 contributions: p50/p95 per page, through the Flask test client."""
    from sqlalchemy import create_engine, text

    from bench.participation import Sizes, load
    from consult.models import Role, User

    engine = create_engine(url)
    with engine.connect() as conn:
        try:
            loaded = conn.execute(text("SELECT count(*) FROM automaticlabel")).scalar_one() > 0
        except Exception:
            loaded = False
    if not loaded:
        started = time.perf_counter()
        load(engine, Sizes(contributions=100_000, votes=votes, users=20_000))
        _fill_moderation_data(engine, random.Random(SEED))
        print(f"data loaded in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    app = make_bench_app(url)
    from consult.db import get_session

    with app.app_context():
        session = get_session()
        moderator = session.exec(select(User).where(User.email == "moderator@bench.invalid")).first()
        if moderator is None:
            moderator = User(email="moderator@bench.invalid", pseudonym="Modération banc", role=Role.MODERATOR)
            session.add(moderator)
            session.commit()
        counts = dict(session.exec(text("SELECT status, count(*) FROM contribution GROUP BY status")).all())
        rng = random.Random(SEED)
        pending = session.exec(text("SELECT id FROM contribution WHERE status = 'pending'")).scalars().all()
        flagged = (
            session.exec(
                text("SELECT DISTINCT contribution_id FROM flag WHERE resolved_at IS NULL AND contribution_id > 0")
            )
            .scalars()
            .all()
        )
        labelled = set(session.exec(text("SELECT contribution_id FROM automaticlabel")).scalars().all())
        panel_ids = rng.sample(list(pending), n // 2) + rng.sample(list(flagged), n // 2)
        moderator_id, version = moderator.id, moderator.session_version
    client = app.test_client()
    with client.session_transaction() as http:
        http["user_id"], http["user_version"] = moderator_id, version
    print(f"contributions by status: {counts}; machine load {os.getloadavg()}")

    cpu: list[float] = []  # CPU time of this process per request (the web side's share, whatever the load)

    def timed(path: str, headers=None) -> float:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(path, headers=headers or {})
        elapsed = (time.perf_counter() - started) * 1000
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    def p95(samples: list[float]) -> float:
        return sorted(samples)[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]

    def line(label: str, samples: list[float]) -> None:
        cpu_samples = cpu[-len(samples) :]
        print(
            f"{label:<48} n={len(samples):>4}  p50 {statistics.median(samples):7.1f} ms  p95 {p95(samples):7.1f} ms"
            f"  (CPU p50 {statistics.median(cpu_samples):5.1f}, p95 {p95(cpu_samples):5.1f} ms)"
        )

    for label, path in QUEUE_PAGES.items():
        timed(path)  # warm-up: first query plans, templates
        line(label, [timed(path) for _ in range(n)])
    unlabelled = [cid for cid in panel_ids if cid not in labelled]
    if unlabelled:
        started = time.perf_counter()
        timed(f"/moderation/contributions/{unlabelled[0]}")
        # Before issue 7's speed work this built the consultation's similarity index inside the request (~30 s).
        print(f"first panel without automatic labels: {(time.perf_counter() - started) * 1000:.0f} ms")
    htmx = {"HX-Request": "true"}
    line("item panel (htmx), pending + flagged", [timed(f"/moderation/contributions/{cid}", htmx) for cid in panel_ids])
    line("item panel (full page)", [timed(f"/moderation/contributions/{cid}") for cid in panel_ids[: n // 2]])
    print(f"machine load after: {os.getloadavg()}")


def main(argv: list[str] | None = None) -> None:
    global DATA
    parser = argparse.ArgumentParser(prog="python -m bench.moderation", description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=["labels", "run", "queue"])
    parser.add_argument("--url", default=DEFAULT_URL, help="bench database (created and filled once)")
    parser.add_argument(
        "--data", type=Path, default=DATA, help="Grand débat sample folder (from a worktree: ../../shared/…)"
    )
    parser.add_argument("--n", type=int, default=300, help="labels: contributions timed; queue: requests per page")
    parser.add_argument("--themes", default="20", help="run: number of themes or auto")
    parser.add_argument("--voters", type=int, default=2000, help="run: synthetic voters (0: no votes)")
    parser.add_argument("--votes-each", type=int, default=30, help="run: votes per synthetic voter")
    parser.add_argument("--queue-votes", type=int, default=300_000, help="queue: votes generated")
    args = parser.parse_args(argv)
    DATA = args.data
    if args.part == "queue":
        url = QUEUE_URL if args.url == DEFAULT_URL else args.url
        bench_queue(url, min(args.n, 200), args.queue_votes)
    elif args.part == "labels":
        bench_labels(args.url, args.n)
    else:
        bench_run(args.url, args.themes, args.voters, args.votes_each)


if __name__ == "__main__":
    main()
