"""Many users voting on one contribution at once: no lost update, on SQLite and on PostgreSQL.

Runs on PostgreSQL when CONSULT_TEST_POSTGRES_URL is set (scripts/pg-throwaway.sh), else SQLite.
"""

import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import func, select

from consult.models import Contribution, Vote
from consult.votes import services

USERS = 40
CHANGES_PER_USER = 5
# Users whose votes also come from a second browser at the same time: races on their own vote row.
DOUBLE_SENDERS = 10
WORKERS = 12  # below the engine's pool (10 + 10 overflow on PostgreSQL, 5 + 10 on SQLite)


def signed_in_client(app, user):
    client = app.test_client()
    with client.session_transaction() as http_session:
        http_session["user_id"] = user.id
        http_session["user_version"] = user.session_version
    return client


def test_concurrent_votes_keep_exact_counts(app, session, make_user, make_contribution, capsys):
    contribution = make_contribution()
    users = [make_user() for _ in range(USERS)]
    rng = random.Random(20261130)
    jobs = []  # (client, [values]) — each job runs its values in order, jobs run in parallel
    for index, user in enumerate(users):
        jobs.append((signed_in_client(app, user), [rng.choice([1, -1, 0]) for _ in range(CHANGES_PER_USER)]))
        if index < DOUBLE_SENDERS:
            jobs.append(
                (
                    signed_in_client(app, user),
                    [rng.choice([1, -1, 0]) for _ in range(CHANGES_PER_USER)],
                )
            )
    rng.shuffle(jobs)
    url = f"/contributions/{contribution.id}/vote"

    def run(job):
        client, values = job
        return [client.post(url, data={"value": v}, headers={"HX-Request": "true"}).status_code for v in values]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        statuses = Counter(code for codes in pool.map(run, jobs) for code in codes)
    elapsed = time.perf_counter() - started

    requests = sum(statuses.values())
    assert statuses == {200: requests}
    session.expire_all()
    row = session.get(Contribution, contribution.id)
    by_value = dict(
        session.exec(
            select(Vote.value, func.count()).where(Vote.contribution_id == contribution.id).group_by(Vote.value)
        ).all()
    )
    assert row.agree_count == by_value.get(1, 0)
    assert row.disagree_count == by_value.get(-1, 0)
    assert row.pass_count == by_value.get(0, 0)
    assert row.vote_count == sum(by_value.values()) == USERS  # one row per user, never two
    assert row.consensus_score == pytest.approx(
        services.consensus_score(row.agree_count, row.disagree_count, row.vote_count)
    )
    assert row.divisive_score == pytest.approx(services.divisive_score(row.agree_count, row.disagree_count))
    with capsys.disabled():
        print(
            f"\n[{session.get_bind().dialect.name}] {requests} votes from {USERS} users "
            f"({DOUBLE_SENDERS} from two browsers at once), {WORKERS} threads: {elapsed:.2f} s "
            f"({requests / elapsed:.0f} votes/s); counts {row.agree_count}/{row.disagree_count}/"
            f"{row.pass_count} match the {row.vote_count} vote rows"
        )


def test_same_user_racing_through_services(app, make_user, make_contribution):
    """One user, many sessions at once: the upsert settles on one row and one count."""
    from sqlmodel import Session

    contribution = make_contribution()
    user = make_user()
    engine = app.extensions["consult.engine"]

    def cast(value):
        with Session(engine, expire_on_commit=False) as own:
            target = own.get(Contribution, contribution.id)
            services.cast_vote(session=own, contribution=target, user=user, value=value)
            own.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(cast, [1, -1, 0, 1, -1, 0, 1, -1] * 4))
    with Session(engine) as check:
        row = check.get(Contribution, contribution.id)
        (value,) = check.exec(select(Vote.value).where(Vote.contribution_id == contribution.id)).all()
        counts = {1: row.agree_count, -1: row.disagree_count, 0: row.pass_count}
        assert row.vote_count == 1 and counts[value] == 1 and sum(counts.values()) == 1
