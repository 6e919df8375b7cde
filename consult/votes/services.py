"""Cast and read votes; the contribution's counters and sort scores move in the same transaction.

Counters stay exact under concurrent votes because (1) each vote only adds a delta to the counters
in one UPDATE statement (no read-modify-write in Python), and (2) the delta is computed from the
previous value of the user's own vote, read under a lock: a row lock (SELECT ... FOR UPDATE) on
PostgreSQL, the database write lock (BEGIN IMMEDIATE) on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Float, case, cast, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from consult.account.services import export_section
from consult.errors import Conflict
from consult.i18n import lazy_gettext as _l
from consult.models import (
    Consultation,
    Contribution,
    ContributionStatus,
    User,
    Vote,
    VoteValue,
    utcnow,
)

# Vote value -> the counter it feeds.
COUNTERS = {
    VoteValue.AGREE: "agree_count",
    VoteValue.DISAGREE: "disagree_count",
    VoteValue.PASS: "pass_count",
}
# A second pass of the upsert loop only happens when another request of the same user inserted the
# row between our SELECT and our INSERT; a third would mean something else is wrong.
_UPSERT_ATTEMPTS = 3


def cast_vote(*, session: Session, contribution: Contribution, user: User, value: int) -> int:
    """Record `user`'s vote (new or changed), move the contribution's counters; return the value."""
    value = VoteValue(value)
    check_can_vote(session=session, contribution=contribution)
    begin_write(session)
    previous = _upsert_vote(session, contribution_id=contribution.id, user_id=user.id, value=value)
    if previous != value:
        _move_counters(session, contribution, previous=previous, value=value)
    return int(value)


def check_can_vote(*, session: Session, contribution: Contribution) -> None:
    """Raise Conflict (with the French reason) unless the contribution can receive votes now."""
    consultation = session.get(Consultation, contribution.consultation_id)
    status = consultation.status()
    if status == "closed":
        raise Conflict(_l("Cette consultation est close : il n'est plus possible de voter."))
    if status == "upcoming":
        raise Conflict(_l("Cette consultation n'est pas encore ouverte : il n'est pas encore possible de voter."))
    if contribution.status != ContributionStatus.PUBLISHED:
        raise Conflict(_l("Cette contribution n'est pas publiée : il n'est pas possible de voter."))


def vote_of(*, session: Session, contribution_id: int, user: User | None) -> int | None:
    """Return the user's current vote on one contribution (None if none, or anonymous)."""
    if user is None:
        return None
    statement = select(Vote.value).where(Vote.contribution_id == contribution_id, Vote.user_id == user.id)
    return session.exec(statement).first()


def votes_by_user(*, session: Session, user: User | None, contribution_ids: Iterable[int]) -> dict[int, int]:
    """Return {contribution_id: value} of the user's votes on a page of contributions (1 query)."""
    ids = list(contribution_ids)
    if user is None or not ids:
        return {}
    statement = select(Vote.contribution_id, Vote.value).where(Vote.user_id == user.id, Vote.contribution_id.in_(ids))
    return dict(session.exec(statement).all())


def consensus_score(agree: int, disagree: int, total: int) -> float:
    """Python twin of the SQL expression (models.Contribution comment), for tests and back-fills."""
    return (agree + 1) / (agree + disagree + 2) * (1 - 1 / (total + 1))


def divisive_score(agree: int, disagree: int) -> float:
    return min(agree, disagree) / max(agree, disagree, 1) * (agree + disagree)


@export_section("votes")
def export_votes(session: Session, user: User) -> list[dict[str, Any]]:
    statement = select(Vote).where(Vote.user_id == user.id).order_by(Vote.created_at, Vote.id)
    return [
        {
            "contribution_id": vote.contribution_id,
            "value": {1: "d'accord", -1: "pas d'accord", 0: "passe"}[vote.value],
            "created_at": vote.created_at.isoformat(),
            "updated_at": vote.updated_at.isoformat(),
        }
        for vote in session.exec(statement)
    ]


def recount_votes(*, session: Session, contribution: Contribution) -> None:
    """Recompute a contribution's counters and sort scores from its vote rows (after votes moved).

    The row is locked first, then counted in a later statement: on PostgreSQL each statement sees what was
    committed before it started, so a vote committed while we waited for the lock is counted, and a vote
    still in flight adds its delta after we commit (its counter UPDATE waits for our lock).
    """
    begin_write(session)
    columns = Contribution.__table__.c
    session.exec(select(columns.id).where(columns.id == contribution.id).with_for_update()).one()
    votes = Vote.__table__.c
    statement = select(votes.value, func.count()).where(votes.contribution_id == contribution.id).group_by(votes.value)
    tally = dict(session.exec(statement).all())
    agree, disagree = tally.get(VoteValue.AGREE, 0), tally.get(VoteValue.DISAGREE, 0)
    total = sum(tally.values())
    values = {
        "agree_count": agree,
        "disagree_count": disagree,
        "pass_count": tally.get(VoteValue.PASS, 0),
        "vote_count": total,
        "consensus_score": consensus_score(agree, disagree, total),
        "divisive_score": divisive_score(agree, disagree),
    }
    session.exec(update(Contribution.__table__).where(columns.id == contribution.id).values(**values))
    for name, value in values.items():
        set_committed_value(contribution, name, value)


def begin_write(session: Session) -> None:
    """On SQLite, take the database write lock before reading the previous vote.

    pysqlite starts its transaction lazily, at the first INSERT/UPDATE: a read done before that
    would see a snapshot another writer may overwrite, and SQLite refuses the later write
    ("database is locked") instead of waiting. BEGIN IMMEDIATE waits (busy timeout) and then
    serialises the vote. PostgreSQL needs nothing here: the row locks below do the job.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _insert(session: Session, table):
    # Both dialects spell INSERT ... ON CONFLICT DO NOTHING alike, each through its own construct.
    dialect = session.connection().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _upsert_vote(session: Session, *, contribution_id: int, user_id: int, value: int) -> int | None:
    """Insert or update the user's vote row; return the value it had before (None if it is new)."""
    table = Vote.__table__
    now = utcnow()
    for _attempt in range(_UPSERT_ATTEMPTS):
        existing = session.exec(
            select(table.c.id, table.c.value)
            .where(table.c.contribution_id == contribution_id, table.c.user_id == user_id)
            .with_for_update()
        ).first()
        if existing is not None:
            if existing.value != value:
                session.exec(update(table).where(table.c.id == existing.id).values(value=value, updated_at=now))
            return existing.value
        inserted = session.exec(
            _insert(session, table)
            .values(
                contribution_id=contribution_id,
                user_id=user_id,
                value=value,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["contribution_id", "user_id"])
            .returning(table.c.id)
        ).first()
        if inserted is not None:
            return None
        # A concurrent request of the same user inserted first (PostgreSQL waited for it to commit):
        # loop to read its row under the lock.
    raise RuntimeError(f"vote upsert did not settle for contribution {contribution_id}, user {user_id}")


def _move_counters(session: Session, contribution: Contribution, *, previous: int | None, value: int) -> None:
    """Apply the vote's delta to the counters and recompute both scores in one UPDATE."""
    columns = Contribution.__table__.c
    deltas = dict.fromkeys(COUNTERS.values(), 0)
    if previous is not None:
        deltas[COUNTERS[previous]] -= 1
    deltas[COUNTERS[value]] += 1
    # Expressions on the right of SET read the row *before* the update: spell the new values out.
    agree = columns.agree_count + deltas["agree_count"]
    disagree = columns.disagree_count + deltas["disagree_count"]
    total = columns.vote_count + (1 if previous is None else 0)
    statement = (
        update(Contribution.__table__)
        # Re-checking the status here closes the race with a moderator hiding it meanwhile.
        .where(columns.id == contribution.id, columns.status == ContributionStatus.PUBLISHED)
        .values(
            agree_count=agree,
            disagree_count=disagree,
            pass_count=columns.pass_count + deltas["pass_count"],
            vote_count=total,
            consensus_score=_consensus_sql(agree, disagree, total),
            divisive_score=_divisive_sql(agree, disagree),
        )
        .returning(*(columns[name] for name in _RETURNED))
    )
    row = session.exec(statement).first()
    if row is None:
        raise Conflict(_l("Cette contribution n'est pas publiée : il n'est pas possible de voter."))
    # Load the new values without marking the object dirty: a later flush must not write them back.
    for name, new_value in zip(_RETURNED, row, strict=True):
        set_committed_value(contribution, name, new_value)


_RETURNED = (
    "agree_count",
    "disagree_count",
    "pass_count",
    "vote_count",
    "consensus_score",
    "divisive_score",
)


def _consensus_sql(agree, disagree, total):
    return cast(agree + 1, Float) / cast(agree + disagree + 2, Float) * (1.0 - 1.0 / cast(total + 1, Float))


def _divisive_sql(agree, disagree):
    # CASE rather than LEAST/GREATEST (PostgreSQL) or min/max (SQLite): the same SQL on both.
    smaller = case((agree < disagree, agree), else_=disagree)
    larger = case((agree > disagree, agree), (disagree > 0, disagree), else_=1)
    return cast(smaller, Float) / cast(larger, Float) * cast(agree + disagree, Float)
