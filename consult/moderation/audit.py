"""The audit journal: one immutable event per moderation action (who, when, what, before → after, why)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from consult.models import Comment, Contribution, ModerationAction, ModerationEvent, User, utcnow

JOURNAL_PAGE_SIZE = 50
CSV_COLUMNS = (
    "id",
    "created_at",
    "moderator",
    "action",
    "consultation_id",
    "contribution_id",
    "comment_id",
    "before",
    "after",
    "reason",
)


def record_event(
    *,
    session: Session,
    moderator: User | None,
    action: ModerationAction,
    contribution: Contribution | None = None,
    comment: Comment | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> ModerationEvent:
    """Append an event; a comment's event also names its contribution, so the contribution's page lists it."""
    contribution_id = contribution.id if contribution else comment.contribution_id if comment else None
    consultation_id = contribution.consultation_id if contribution else None
    if consultation_id is None and contribution_id is not None:
        consultation_id = session.get(Contribution, contribution_id).consultation_id
    event = ModerationEvent(
        created_at=utcnow(),
        moderator_id=moderator.id if moderator else None,
        action=action,
        consultation_id=consultation_id,
        contribution_id=contribution_id,
        comment_id=comment.id if comment else None,
        before=_dump(before),
        after=_dump(after),
        reason=reason,
    )
    session.add(event)
    session.flush()
    return event


def _dump(values: dict[str, Any] | None) -> str:
    return json.dumps(values or {}, ensure_ascii=False, sort_keys=True, default=str)


@dataclass
class EventView:
    """An event with its moderator's pseudonym and its before/after decoded, for the journal pages."""

    event: ModerationEvent
    moderator: str | None
    before: dict[str, Any]
    after: dict[str, Any]

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        keys = sorted(set(self.before) | set(self.after))
        return [(key, self.before.get(key), self.after.get(key)) for key in keys]


@dataclass(frozen=True)
class JournalFilters:
    action: str | None = None
    moderator_id: int | None = None
    consultation_id: int | None = None
    contribution_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # keyset: events older than this one


def _journal_query(filters: JournalFilters):
    statement = select(ModerationEvent, User.pseudonym).outerjoin(User, User.id == ModerationEvent.moderator_id)
    columns = {
        "action": (ModerationEvent.action, "=="),
        "moderator_id": (ModerationEvent.moderator_id, "=="),
        "consultation_id": (ModerationEvent.consultation_id, "=="),
        "contribution_id": (ModerationEvent.contribution_id, "=="),
        "since": (ModerationEvent.created_at, ">="),
        "until": (ModerationEvent.created_at, "<"),
        "before_id": (ModerationEvent.id, "<"),
    }
    for name, (column, operator) in columns.items():
        value = getattr(filters, name)
        if value is not None:
            statement = statement.where(column.op(operator)(value) if operator != "==" else column == value)
    return statement.order_by(ModerationEvent.id.desc())


def list_events(*, session: Session, filters: JournalFilters, limit: int = JOURNAL_PAGE_SIZE) -> list[EventView]:
    """Newest first; ids grow with time, so `before_id` pages through the journal without OFFSET."""
    rows = session.exec(_journal_query(filters).limit(limit)).all()
    return [event_view(event, pseudonym) for event, pseudonym in rows]


def event_view(event: ModerationEvent, pseudonym: str | None) -> EventView:
    return EventView(event=event, moderator=pseudonym, before=json.loads(event.before), after=json.loads(event.after))


def journal_csv(*, session: Session, filters: JournalFilters, batch: int = 1000) -> Iterator[str]:
    """Stream the filtered journal as CSV lines (UTF-8 with BOM for spreadsheet software), in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + _drain(buffer)
    current = filters
    while True:
        rows = session.exec(_journal_query(current).limit(batch)).all()
        for event, pseudonym in rows:
            writer.writerow(
                [
                    event.id,
                    event.created_at.isoformat(),
                    pseudonym or "",
                    event.action,
                    event.consultation_id or "",
                    event.contribution_id or "",
                    event.comment_id or "",
                    event.before,
                    event.after,
                    _neutralise_formula(event.reason),
                ]
            )
        yield _drain(buffer)
        if len(rows) < batch:
            return
        current = JournalFilters(**{**current.__dict__, "before_id": rows[-1][0].id})


def _drain(buffer: io.StringIO) -> str:
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value


def _neutralise_formula(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheet software (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
