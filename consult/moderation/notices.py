"""Authors are told of moderators' decisions on their contributions: by e-mail, and on their account page.

A decision (publish, reject with its reason, merge into another contribution, redact personal data) queues a
notice on the database session; the notices are e-mailed only once the session commits, so a decision that
is rolled back (a conflict, a bulk batch refused as a whole) never sends anything. Only confirmed addresses
receive mail. A notice carries the author's own title, the reason a moderator gave and, for a merge, the number
of the kept contribution: never another person's text, nor the data that was masked.

The account page reads the same decisions back from the audit journal, so it needs no table of its own.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from consult import mail
from consult.models import Contribution, ModerationAction, ModerationEvent, User

log = logging.getLogger(__name__)

PENDING = "consult.author_notices"
# The decisions an author is told of; a restore is a publication seen from the author's side.
NOTIFIED = (
    ModerationAction.PUBLISH,
    ModerationAction.RESTORE,
    ModerationAction.REJECT,
    ModerationAction.MERGE,
    ModerationAction.REDACT,
)
ACCOUNT_PAGE_DECISIONS = 20


@dataclass(frozen=True)
class Notice:
    """What one e-mail says, gathered before the commit (no SQL can run after it)."""

    action: str
    email: str
    locale: str
    pseudonym: str
    contribution_id: int
    title: str
    reason: str = ""
    kept_id: int | None = None


def notify_author(
    *, session: Session, contribution: Contribution, action: str, reason: str = "", kept_id: int | None = None
) -> None:
    """Queue an e-mail to the author of `contribution`, sent if and when the session commits."""
    author = session.get(User, contribution.author_id)
    if author is None or not author.email or author.email_verified_at is None or author.deleted_at is not None:
        return  # an unconfirmed address may not be its owner's; a deleted account has none
    notice = Notice(
        action=ModerationAction.PUBLISH if action == ModerationAction.RESTORE else action,
        email=author.email,
        locale=author.locale or "fr",
        pseudonym=author.pseudonym,
        contribution_id=contribution.id,
        title=contribution.title,
        reason=reason,
        kept_id=kept_id,
    )
    session.info.setdefault(PENDING, []).append(notice)


@event.listens_for(OrmSession, "after_commit")
def _send_after_commit(session: OrmSession) -> None:
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT released (bulk decisions): the outer transaction may still roll back
    for notice in session.info.pop(PENDING, []):
        try:
            mail.send(
                "moderation_decision",
                to=notice.email,
                locale=notice.locale,
                notice=notice,
                link=mail.public_url(url_for("contributions.detail", contribution_id=notice.contribution_id)),
                kept_link=(
                    mail.public_url(url_for("contributions.detail", contribution_id=notice.kept_id))
                    if notice.kept_id
                    else ""
                ),
                account_link=mail.public_url(url_for("account.index")),
            )
        except Exception:
            # The decision is committed: a message that cannot be built must not turn it into an error page.
            log.exception("notice of a moderation decision on contribution %s not sent", notice.contribution_id)


@event.listens_for(OrmSession, "after_rollback")
def _drop_after_rollback(session: OrmSession) -> None:
    session.info.pop(PENDING, None)


@dataclass
class Decision:
    """A moderation decision on one of the author's contributions, for their account page."""

    created_at: datetime
    action: str
    contribution_id: int
    title: str
    reason: str
    kept_id: int | None


def decisions_for_author(*, session: Session, user: User, limit: int = ACCOUNT_PAGE_DECISIONS) -> list[Decision]:
    """The latest notified decisions on `user`'s contributions, newest first, from the audit journal."""
    rows = session.exec(
        select(ModerationEvent, Contribution.title)
        .join(Contribution, Contribution.id == ModerationEvent.contribution_id)
        .where(
            Contribution.author_id == user.id,
            ModerationEvent.comment_id.is_(None),
            ModerationEvent.action.in_([str(action) for action in NOTIFIED]),
        )
        .order_by(ModerationEvent.created_at.desc(), ModerationEvent.id.desc())
        .limit(limit)
    ).all()
    decisions = []
    for decision, title in rows:
        after = json.loads(decision.after or "{}")
        action = ModerationAction.PUBLISH if decision.action == ModerationAction.RESTORE else decision.action
        decisions.append(
            Decision(
                created_at=decision.created_at,
                action=action,
                contribution_id=decision.contribution_id,
                title=title,
                reason=decision.reason if decision.action == ModerationAction.REJECT else "",
                kept_id=after.get("duplicate_of") if decision.action == ModerationAction.MERGE else None,
            )
        )
    return decisions
