"""The moderation queue: what to triage first, with filters, sorts and counts per state.

"À traiter" lists the pending contributions (oldest first: first come, first served), then the
contributions with open flags (most flagged first), then the pending comments, then the flagged ones. The other
states list contributions in that state. Each run is a LIMIT query on its own index, and the sizes come from the
counts per state the tabs show anyway: at 100,000 contributions a page is a handful of small queries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import func, union
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
EXCERPT_READ = 600  # characters of the body read for the excerpt (whitespace runs shrink when it is cut)

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


def _open_flags(target):
    """Open flags per contribution or comment: a small grouped set (served by the partial indexes on open flags)."""
    column = Flag.contribution_id if target == "contribution" else Flag.comment_id
    return (
        select(column.label("target_id"), func.count().label("open_flags"))
        .where(Flag.resolved_at.is_(None), column.is_not(None))
        .group_by(column)
        .subquery()
    )


def _open_flagged_contributions():
    """Ids of the published or hidden contributions with open flags (served by the partial index on open flags)."""
    return (
        select(Flag.contribution_id)
        .join(Contribution, Contribution.id == Flag.contribution_id)
        .where(Flag.resolved_at.is_(None), Contribution.status.in_(FLAG_REVIEWABLE))
    )


def _label_conditions(filters: QueueFilters) -> list:
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
    return conditions


def _state_conditions(filters: QueueFilters) -> list:
    """The state's conditions for the orders that are not split into pending then flagged."""
    # The states to triage are small id sets (pending, flagged) probed by primary key; a status condition beside
    # them would make the planner scan every reviewable contribution instead.
    if filters.state == "flagged" or filters.flagged:
        conditions = [Contribution.id.in_(_open_flagged_contributions())]
    elif filters.state == TODO:
        pending = select(Contribution.id).where(Contribution.status == ContributionStatus.PENDING)
        conditions = [Contribution.id.in_(union(pending, _open_flagged_contributions()))]
    else:
        conditions = []
    if filters.state in set(ContributionStatus):
        conditions.append(Contribution.status == filters.state)
    return conditions


class _Picked:
    """The published or hidden contributions with open flags, most flagged first, read from the flags' side.

    Open flags are a few thousand rows at most (partial index); each is probed for its contribution's status by
    primary key. Joining the other way, PostgreSQL's planner prefers hashing every published contribution
    (~95,000 index entries, 30-45 ms) to ~1,500 probes (a few ms).
    """

    def __init__(self, consultation_id: int | None) -> None:
        self.flags = (
            select(Flag.contribution_id.label("cid"), func.count().label("open_flags"))
            .where(Flag.resolved_at.is_(None), Flag.contribution_id.is_not(None))
            .group_by(Flag.contribution_id)
            .subquery()
        )
        self.conditions = [self._of(Contribution.status).in_(FLAG_REVIEWABLE)]
        if consultation_id:
            self.conditions.append(self._of(Contribution.consultation_id) == consultation_id)

    def _of(self, column):
        # A scalar subquery, not a join: the planner cannot turn it into a hash over the contribution table.
        return select(column).where(Contribution.id == self.flags.c.cid).scalar_subquery()

    def count(self, session: Session) -> int:
        return session.exec(select(func.count()).select_from(self.flags).where(*self.conditions)).one()

    def ids(self, session: Session, offset: int, limit: int) -> list[int]:
        order = [self.flags.c.open_flags.desc(), self._of(Contribution.created_at), self.flags.c.cid]
        statement = select(self.flags.c.cid).where(*self.conditions).order_by(*order).offset(offset).limit(limit)
        return list(session.exec(statement))


@dataclass
class _Segment:
    """A run of the queue in one order (pending contributions, then flagged ones, then comments…).

    Pages walk through the segments in turn, each one a LIMIT query on its own index, so that the queue never sorts
    the union of pending and flagged items. Its size comes from the counts per state when the filters allow.
    """

    fetch: Callable[[int, int, bool], list]  # (offset, limit, keys_only) -> QueueItems, or "kind:id" keys
    count: Callable[[], int]
    known: int | None = None

    @cached_property
    def total(self) -> int:
        return self.known if self.known is not None else self.count()


def _contribution_segment(
    session: Session,
    conditions: list,
    order: list,
    *,
    flags=None,
    outer: bool = False,
    known: int | None = None,
    picked: _Picked | None = None,
) -> _Segment:
    """Contributions matching `conditions` in `order`; `flags` (open flags per contribution) joined when given.

    With `picked`, the segment's ids come from that statement instead (ordered, counted), and the rows are read
    by primary key.
    """

    def joined(statement):
        if flags is None:
            return statement
        if outer:
            return statement.outerjoin(flags, flags.c.target_id == Contribution.id)
        return statement.join(flags, flags.c.target_id == Contribution.id)

    def count() -> int:
        if picked is not None:
            return picked.count(session)
        return session.exec(joined(select(func.count()).select_from(Contribution)).where(*conditions)).one()

    def fetch(offset: int, limit: int, keys_only: bool) -> list:
        ids = None
        if picked is not None:
            ids = picked.ids(session, offset, limit)
        elif keys_only:
            statement = joined(select(Contribution.id)).where(*conditions).order_by(*order).offset(offset).limit(limit)
            ids = list(session.exec(statement))
        if keys_only:
            return [f"contribution:{cid}" for cid in ids]
        # Only what a row shows: the start of the body, not the whole text, and no ORM objects.
        statement = (
            select(
                Contribution.id,
                Contribution.version,
                Contribution.status,
                Contribution.title,
                func.substr(Contribution.body, 1, EXCERPT_READ),
                Contribution.created_at,
                Contribution.theme_id,
                Contribution.vote_count,
                User.pseudonym,
                Consultation.title,
            )
            .join(User, User.id == Contribution.author_id)
            .join(Consultation, Consultation.id == Contribution.consultation_id)
        )
        if ids is None:
            rows = session.exec(joined(statement).where(*conditions).order_by(*order).offset(offset).limit(limit))
            rows = rows.all()
        elif not ids:
            return []
        else:
            by_id = {row[0]: row for row in session.exec(statement.where(Contribution.id.in_(ids)))}
            rows = [by_id[cid] for cid in ids if cid in by_id]
        open_flags = _open_flag_counts(session, Flag.contribution_id, [row[0] for row in rows])
        return [
            QueueItem(
                kind="contribution",
                id=cid,
                version=version,
                status=status,
                title=title,
                excerpt=_excerpt(body),
                author=pseudonym,
                created_at=created_at,
                consultation=consultation,
                open_flags=open_flags.get(cid, 0),
                contribution_id=cid,
                theme_id=theme_id,
                vote_count=vote_count,
            )
            for cid, version, status, title, body, created_at, theme_id, vote_count, pseudonym, consultation in rows
        ]

    return _Segment(fetch, count, known)


def _open_flag_counts(session: Session, column, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(
        session.exec(
            select(column, func.count()).where(column.in_(ids), Flag.resolved_at.is_(None)).group_by(column)
        ).all()
    )


def _comment_segment(session: Session, filters: QueueFilters, *, flagged: bool, known: int | None) -> _Segment:
    """Pending comments (oldest first), or published/hidden comments with open flags (most flagged first)."""
    flags = _open_flags("comment")
    if flagged:
        conditions = [Comment.status.in_([CommentStatus.PUBLISHED, CommentStatus.HIDDEN])]
        order = [flags.c.open_flags.desc(), Comment.created_at, Comment.id]
    else:
        conditions = [Comment.status == CommentStatus.PENDING]
        order = [Comment.created_at, Comment.id]
    if filters.consultation_id:
        conditions.append(Contribution.consultation_id == filters.consultation_id)

    def joined(statement):
        if filters.consultation_id:
            statement = statement.join(Contribution, Contribution.id == Comment.contribution_id)
        return statement.join(flags, flags.c.target_id == Comment.id) if flagged else statement

    def count() -> int:
        return session.exec(joined(select(func.count()).select_from(Comment)).where(*conditions)).one()

    def fetch(offset: int, limit: int, keys_only: bool) -> list:
        ids = list(
            session.exec(joined(select(Comment.id)).where(*conditions).order_by(*order).offset(offset).limit(limit))
        )
        if keys_only:
            return [f"comment:{cid}" for cid in ids]
        if not ids:
            return []
        rows = session.exec(
            select(Comment, Contribution.title, User.pseudonym, Consultation.title)
            .join(Contribution, Contribution.id == Comment.contribution_id)
            .join(Consultation, Consultation.id == Contribution.consultation_id)
            .join(User, User.id == Comment.author_id)
            .where(Comment.id.in_(ids))
        ).all()
        open_flags = _open_flag_counts(session, Flag.comment_id, ids)
        by_id = {row[0].id: row for row in rows}
        return [
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
                open_flags=open_flags.get(comment.id, 0),
                contribution_id=comment.contribution_id,
            )
            for comment, contribution_title, pseudonym, consultation in (by_id[i] for i in ids)
        ]

    return _Segment(fetch, count, known)


def _segments(session: Session, filters: QueueFilters, counts: dict[str, int] | None) -> list[_Segment]:
    """The queue's segments for these filters, in page order (sizes from `counts` when they are the same sets)."""
    # The counts per state are counted within the consultation filter only: other filters make sizes unknown.
    plain = counts is not None and not filters.only_contributions and not filters.flagged

    def known(state: str) -> int | None:
        return counts[state] if plain else None

    # Comments carry no label: only the consultation filter applies to them, and "flagged only" keeps flagged ones.
    comments = [_comment_segment(session, filters, flagged=True, known=counts["flagged_comments"] if counts else None)]
    if not filters.flagged:
        pending_comments = counts["pending_comments"] if counts else None
        comments.insert(0, _comment_segment(session, filters, flagged=False, known=pending_comments))
    if filters.state == COMMENTS:
        return comments
    labels = _label_conditions(filters)
    flags = _open_flags("contribution")
    pending = _contribution_segment(
        session,
        [Contribution.status == ContributionStatus.PENDING, *labels],
        [Contribution.created_at, Contribution.id],
        known=known(ContributionStatus.PENDING),
    )
    flagged = _contribution_segment(
        session,
        [Contribution.status.in_(FLAG_REVIEWABLE), *labels],
        [flags.c.open_flags.desc(), Contribution.created_at, Contribution.id],
        flags=flags,
        known=counts["flagged"] if counts is not None and not filters.only_contributions else None,
        # Label filters need the contribution's columns: then the join, over the fewer rows they leave.
        picked=None if filters.only_contributions else _Picked(filters.consultation_id),
    )
    priority = filters.sort == "priority"
    if priority and filters.state == TODO:
        contributions = [flagged] if filters.flagged else [pending, flagged]
        return contributions if filters.only_contributions else contributions + comments
    if priority and filters.state == ContributionStatus.PENDING and not filters.flagged:
        return [pending]
    if priority and filters.state == "flagged":
        return [flagged]
    order = {
        "oldest": [Contribution.created_at, Contribution.id],
        "flags": [func.coalesce(flags.c.open_flags, 0).desc(), Contribution.created_at, Contribution.id],
        "votes": [Contribution.vote_count.desc(), Contribution.id],
    }.get(filters.sort, [Contribution.created_at.desc(), Contribution.id.desc()])
    state_known = None
    if plain and filters.state in set(ContributionStatus):
        state_known = counts[filters.state]
    elif plain and filters.state == TODO:
        state_known = counts[ContributionStatus.PENDING] + counts["flagged"]
    segment = _contribution_segment(
        session,
        [*_state_conditions(filters), *labels],
        order,
        flags=flags if filters.sort == "flags" else None,
        outer=True,
        known=state_known,
    )
    if filters.state == TODO and not filters.only_contributions:
        return [segment, *comments]
    return [segment]


def _walk(segments: list[_Segment], offset: int, limit: int, *, keys_only: bool = False) -> list:
    """`limit` rows from `offset` across the segments; a segment's size is counted only when a page skips it whole."""
    rows: list = []
    for segment in segments:
        if len(rows) >= limit:
            break
        wanted = limit - len(rows)
        skipped_whole = segment.known is not None and offset >= segment.known
        found = [] if skipped_whole else segment.fetch(offset, wanted, keys_only)
        rows += found
        if len(found) == wanted:
            break
        # This segment ends on this page: what the next one skips is what is left of the offset.
        size = offset + len(found) if found else (segment.total if offset else 0)
        offset = max(0, offset - size)
    return rows


def load_queue(*, session: Session, filters: QueueFilters, cache: dict | None = None) -> QueuePage:
    """One page of the queue and the counts per state (for the tabs); `cache`: see count_states."""
    counts = count_states(session=session, filters=filters, cache=cache)
    segments = _segments(session, filters, counts)
    page = QueuePage(filters=filters, counts=counts)
    page.items = _walk(segments, (filters.page - 1) * PAGE_SIZE, PAGE_SIZE)
    page.total = sum(segment.total for segment in segments)
    return page


# States that hold most contributions: counting them reads most of the table (~100,000 index entries), so their
# count may come from `cache` for LARGE_COUNT_SECONDS. The states to triage are always counted exactly.
LARGE_STATES = (ContributionStatus.PUBLISHED,)
LARGE_COUNT_SECONDS = 30.0


def count_states(*, session: Session, filters: QueueFilters, cache: dict | None = None) -> dict[str, int]:
    """How many contributions in each state (within the consultation filter), plus flagged and comments to triage.

    Pending and flagged contributions are disjoint (flags count on published or hidden ones only), so "to triage"
    is a sum, not one more query over their union. `cache` (a dict the caller keeps, e.g. per process) holds the
    counts of LARGE_STATES: the "published" tab may lag a decision by LARGE_COUNT_SECONDS, nothing else does.
    """
    small = [state for state in ContributionStatus if state not in LARGE_STATES]
    statement = select(Contribution.status, func.count()).where(Contribution.status.in_(small))
    large = select(Contribution.status, func.count()).where(Contribution.status.in_(LARGE_STATES))
    if filters.consultation_id:
        statement = statement.where(Contribution.consultation_id == filters.consultation_id)
        large = large.where(Contribution.consultation_id == filters.consultation_id)
    counts = dict.fromkeys(STATES, 0)
    counts.update(dict(session.exec(statement.group_by(Contribution.status)).all()))
    now = time.monotonic()
    cached = cache.get(filters.consultation_id) if cache is not None else None
    if cached is None or now - cached[0] >= LARGE_COUNT_SECONDS:
        cached = (now, dict(session.exec(large.group_by(Contribution.status)).all()))
        if cache is not None:
            cache[filters.consultation_id] = cached
    counts.update(cached[1])
    counts["flagged"] = _Picked(filters.consultation_id).count(session)
    only = QueueFilters(consultation_id=filters.consultation_id)
    counts["pending_comments"] = _comment_segment(session, only, flagged=False, known=None).total
    counts["flagged_comments"] = _comment_segment(session, only, flagged=True, known=None).total
    counts[COMMENTS] = counts["pending_comments"] + counts["flagged_comments"]
    counts[TODO] = counts[ContributionStatus.PENDING] + counts["flagged"] + counts[COMMENTS]
    return counts


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def neighbours(*, session: Session, filters: QueueFilters, kind: str, item_id: int) -> tuple[str | None, str | None]:
    """The previous and next items of the queue around one item (on its page), as "kind:id" keys.

    Only the page's keys are read (no counts per state, no texts): the item panel pays one small query per segment.
    """
    keys = _walk(_segments(session, filters, None), (filters.page - 1) * PAGE_SIZE, PAGE_SIZE, keys_only=True)
    key = f"{kind}:{item_id}"
    if key not in keys:
        return None, keys[0] if keys else None
    index = keys.index(key)
    return (keys[index - 1] if index else None), (keys[index + 1] if index + 1 < len(keys) else None)
