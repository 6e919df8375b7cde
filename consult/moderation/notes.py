"""What an author is told of the moderators' changes to their contribution (from the audit journal)."""

from __future__ import annotations

from sqlmodel import Session, select

from consult.models import Contribution, ModerationAction, ModerationEvent
from consult.moderation.audit import EventView, event_view

# Changes to the author's own words, or to where their contribution lives, are shown to them.
TOLD_TO_AUTHOR = (ModerationAction.TITLE, ModerationAction.MERGE, ModerationAction.REDACT, ModerationAction.LABELS)


def author_notes(*, session: Session, contribution: Contribution) -> list[EventView]:
    """The moderators' changes the author should know about, oldest first (moderators stay anonymous)."""
    events = session.exec(
        select(ModerationEvent)
        .where(
            ModerationEvent.contribution_id == contribution.id,
            ModerationEvent.comment_id.is_(None),
            ModerationEvent.action.in_(TOLD_TO_AUTHOR),
        )
        .order_by(ModerationEvent.id)
    ).all()
    return [event_view(event, None) for event in events]
