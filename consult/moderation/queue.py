"""The moderation queue: what to triage first, with filters, sorts and counts per state.

"À traiter" lists the pending contributions (oldest first: first come, first served), then the
contributions with open flags (most flagged first), then the pending or flagged comments. The other
states list contributions in that state. Each page is one query per kind, served by indexes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import case, func, or_, union
from sqlmodel import Session, select

from consult.models import (
    AutomaticLabel,
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    Flag,
    User,
)

PAGE_SIZE = 30
EXCERPT = 220

TODO, COMMENTS = "todo", "comments"
STATES = (
    TODO,
    ContributionStatus.PENDING,
    "flagged",
    ContributionStatus.HIDDEN,
    ContributionStatus.REJECTED,
    ContributionStatus.DUPLICATE,
    ContributionStatus.PUBLISHED,
    COMMENTS,
)
# Open flags matter on what the public sees or a moderator hid; a withdrawn or refused text is out of the queue.
FLAG_REVIEWABLE = (ContributionStatus.PUBLISHED, ContributionStatus.HIDDEN)
SORTS = ("priority", "oldest", "newest", "flags", "votes")


@dataclass(frozen=True)
class QueueFilters:
    state: str = TODO
    consultation_id: int | None = None
    theme: str = ""
    principle: str = ""
    flagged: bool = False
    # Automatic labels (consult.analysis): personal data detected, duplicate suspected, confidence at most this.
    personal_data: bool = False
    duplicates: bool = False
    max_confidence: float | None = None
    sort: str = "priority"
    page: int = 1

    @property
    def only_contributions(self) -> bool:
        """Filters that only contributions have (comments carry no theme, principle or automatic label)."""
        return bool(
            self.theme or self.principle or self.personal_data or self.duplicates or self.max_confidence is not None
        )


@dataclass
class QueueItem:
    """One row of the queue: a contribution or a comment, with what the moderator needs to decide."""

    kind: str  # "contribution" | "comment"
    id: int
    version: int
    status: str
    title: str
    excerpt: str
    author: str
    created_at: datetime
    consultation: str
    open_flags: int
    contribution_id: int
    theme_id: str | None = None
    vote_count: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}:{self.version}"


@dataclass
class QueuePage:
    filters: QueueFilters
    items: list[QueueItem] = field(default_factory=list)
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _open_flags_by_comment():
    return (
        select(Flag.comment_id.label("target_id"), func.count().label("open_flags"))
        .where(Flag.resolved_at.is_(None), Flag.comment_id.is_not(None))
        .group_by(Flag.comment_id)
        .subquery()
    )


def _open_flagged_contributions():
    """Ids of the published or hidden contributions with open flags (served by the partial index on open flags)."""
    return (
        select(Flag.contribution_id)
        .join(Contribution, Contribution.id == Flag.contribution_id)
        .where(Flag.resolved_at.is_(None), Contribution.status.in_(FLAG_REVIEWABLE))
    )


def _open_flags_by_contribution():
    return (
        select(Flag.contribution_id.label("target_id"), func.count().label("open_flags"))
        .where(Flag.resolved_at.is_(None), Flag.contribution_id.is_not(None))
        .group_by(Flag.contribution_id)
        .subquery()
    )


def _contribution_conditions(filters: QueueFilters) -> list:
    """Conditions as id sets or indexed columns, never an OR over the whole table: each state stays an index lookup."""
    conditions = []
    if filters.consultation_id:
        conditions.append(Contribution.consultation_id == filters.consultation_id)
    if filters.theme:
        conditions.append(Contribution.theme_id == filters.theme)
    # EXISTS, not IN: a lookup per candidate row of the state's index, instead of materialising every labelled id.
    if filters.principle:
        conditions.append(
            select(ContributionPrinciple.contribution_id)
            .where(
                ContributionPrinciple.contribution_id == Contribution.id,
                ContributionPrinciple.principle_id == filters.principle,
            )
            .exists()
        )
    # Rare flags (personal data, duplicates) are few ids from their own index: IN. Confidence is a range over most
    # labels: checked row by row.
    for wanted, column in (
        (filters.personal_data, AutomaticLabel.has_personal_data),
        (filters.duplicates, AutomaticLabel.has_duplicates),
    ):
        if wanted:
            conditions.append(Contribution.id.in_(select(AutomaticLabel.contribution_id).where(column.is_(True))))
    if filters.max_confidence is not None:
        conditions.append(
            select(AutomaticLabel.contribution_id)
            .where(
                AutomaticLabel.contribution_id == Contribution.id, AutomaticLabel.confidence <= filters.max_confidence
            )
            .exists()
        )
    # The states to triage are small id sets (pending, flagged) probed by primary key; a status condition beside
    # them would make the planner scan every reviewable contribution instead.
    if filters.state == "flagged" or filters.flagged:
        conditions.append(Contribution.id.in_(_open_flagged_contributions()))
    elif filters.state == TODO:
        pending = select(Contribution.id).where(Contribution.status == ContributionStatus.PENDING)
        conditions.append(Contribution.id.in_(union(pending, _open_flagged_contributions())))
    if filters.state in set(ContributionStatus):
        conditions.append(Contribution.status == filters.state)
    return conditions


def _contribution_order(filters: QueueFilters, flags) -> tuple[list, bool]:
    """The ORDER BY, and whether it uses `flags` (open flags per contribution, a small grouped set to outer-join)."""
    open_flags = func.coalesce(flags.c.open_flags, 0)
    orders = {
        "oldest": [Contribution.created_at, Contribution.id],
        "newest": [Contribution.created_at.desc(), Contribution.id.desc()],
        "flags": [open_flags.desc(), Contribution.created_at, Contribution.id],
        "votes": [Contribution.vote_count.desc(), Contribution.id],
    }
    if filters.sort in orders:
        return orders[filters.sort], filters.sort == "flags"
    if filters.state in (TODO, ContributionStatus.PENDING, "flagged"):
        pending_first = case((Contribution.status == ContributionStatus.PENDING, 0), else_=1)
        return [pending_first, open_flags.desc(), Contribution.created_at, Contribution.id], True
    return orders["newest"], False


def _contributions(session: Session, filters: QueueFilters, offset: int, limit: int) -> tuple[list[QueueItem], int]:
    conditions = _contribution_conditions(filters)
    total = session.exec(select(func.count()).select_from(Contribution).where(*conditions)).one()
    if limit <= 0 or offset >= total:
        return [], total
    flags = _open_flags_by_contribution()
    order, uses_flags = _contribution_order(filters, flags)
    statement = (
        select(Contribution, User.pseudonym, Consultation.title)
        .join(User, User.id == Contribution.author_id)
        .join(Consultation, Consultation.id == Contribution.consultation_id)
        .where(*conditions)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    if uses_flags:
        statement = statement.outerjoin(flags, flags.c.target_id == Contribution.id)
    rows = session.exec(statement).all()
    open_flags = dict(
        session.exec(
            select(Flag.contribution_id, func.count())
            .where(Flag.contribution_id.in_([c.id for c, _, _ in rows]), Flag.resolved_at.is_(None))
            .group_by(Flag.contribution_id)
        ).all()
    )
    items = [
        QueueItem(
            kind="contribution",
            id=c.id,
            version=c.version,
            status=c.status,
            title=c.title,
            excerpt=_excerpt(c.body),
            author=pseudonym,
            created_at=c.created_at,
            consultation=consultation,
            open_flags=open_flags.get(c.id, 0),
            contribution_id=c.id,
            theme_id=c.theme_id,
            vote_count=c.vote_count,
        )
        for c, pseudonym, consultation in rows
    ]
    return items, total


def _comments(session: Session, filters: QueueFilters, offset: int, limit: int) -> tuple[list[QueueItem], int]:
    flags = _open_flags_by_comment()
    conditions = [
        or_(
            Comment.status == CommentStatus.PENDING,
            Comment.status.in_([CommentStatus.PUBLISHED, CommentStatus.HIDDEN]) & (flags.c.open_flags > 0),
        )
    ]
    if filters.consultation_id:
        conditions.append(Contribution.consultation_id == filters.consultation_id)
    joined = (
        select(Comment.id)
        .join(Contribution, Contribution.id == Comment.contribution_id)
        .outerjoin(flags, flags.c.target_id == Comment.id)
        .where(*conditions)
    )
    total = session.exec(select(func.count()).select_from(joined.subquery())).one()
    if limit <= 0 or offset >= total:
        return [], total
    pending_first = case((Comment.status == CommentStatus.PENDING, 0), else_=1)
    statement = (
        select(Comment, Contribution.title, User.pseudonym, Consultation.title, func.coalesce(flags.c.open_flags, 0))
        .join(Contribution, Contribution.id == Comment.contribution_id)
        .join(Consultation, Consultation.id == Contribution.consultation_id)
        .join(User, User.id == Comment.author_id)
        .outerjoin(flags, flags.c.target_id == Comment.id)
        .where(*conditions)
        .order_by(pending_first, func.coalesce(flags.c.open_flags, 0).desc(), Comment.created_at, Comment.id)
        .offset(offset)
        .limit(limit)
    )
    items = [
        QueueItem(
            kind="comment",
            id=comment.id,
            version=comment.version,
            status=comment.status,
            title=contribution_title,
            excerpt=_excerpt(comment.body),
            author=pseudonym,
            created_at=comment.created_at,
            consultation=consultation,
            open_flags=open_flags,
            contribution_id=comment.contribution_id,
        )
        for comment, contribution_title, pseudonym, consultation, open_flags in session.exec(statement)
    ]
    return items, total


def load_queue(*, session: Session, filters: QueueFilters) -> QueuePage:
    """One page of the queue and the counts per state (for the tabs)."""
    offset = (filters.page - 1) * PAGE_SIZE
    page = QueuePage(filters=filters, counts=count_states(session=session, filters=filters))
    if filters.state == COMMENTS:
        page.items, page.total = _comments(session, filters, offset, PAGE_SIZE)
        return page
    contributions, n_contributions = _contributions(session, filters, offset, PAGE_SIZE)
    page.items, page.total = contributions, n_contributions
    if filters.state == TODO and not filters.only_contributions:
        # Comments come after every contribution to triage: they take the rest of the page, then the next pages.
        room = PAGE_SIZE - len(contributions)
        comments, n_comments = _comments(session, filters, max(0, offset - n_contributions), room)
        page.items += comments
        page.total += n_comments
    return page


def count_states(*, session: Session, filters: QueueFilters) -> dict[str, int]:
    """How many contributions in each state (within the consultation filter), plus flagged and comments to triage."""
    statement = select(Contribution.status, func.count()).group_by(Contribution.status)
    if filters.consultation_id:
        statement = statement.where(Contribution.consultation_id == filters.consultation_id)
    counts = dict.fromkeys(STATES, 0)
    counts.update(dict(session.exec(statement).all()))
    only = QueueFilters(consultation_id=filters.consultation_id)
    counts["flagged"] = _flagged_reviewable(session, only)
    counts[COMMENTS] = _comments(session, only, 0, 0)[1]
    counts[TODO] = _contributions(session, replace(only, state=TODO), 0, 0)[1] + counts[COMMENTS]
    return counts


def _flagged_reviewable(session: Session, filters: QueueFilters) -> int:
    return _contributions(session, replace(filters, state="flagged"), 0, 0)[1]


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def neighbours(*, session: Session, filters: QueueFilters, kind: str, item_id: int) -> tuple[str | None, str | None]:
    """The previous and next items of the queue around one item (on its page), as "kind:id" keys."""
    keys = [f"{i.kind}:{i.id}" for i in load_queue(session=session, filters=filters).items]
    key = f"{kind}:{item_id}"
    if key not in keys:
        return None, keys[0] if keys else None
    index = keys.index(key)
    return (keys[index - 1] if index else None), (keys[index + 1] if index + 1 < len(keys) else None)
