"""Flags: one per user and target; FLAG_HIDE_THRESHOLD unresolved flags hide it pending review.

The target's row is locked (by incrementing its flag_count) before counting the unresolved flags,
so of several concurrent flags the last to commit always sees all the others: the threshold
cannot be skipped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from consult.account.services import export_section
from consult.analysis.services import find_personal_data
from consult.comments.services import change_status
from consult.errors import ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import (
    Comment,
    CommentStatus,
    Contribution,
    ContributionStatus,
    Flag,
    User,
    utcnow,
)

REASONS = {
    "spam": _l("Spam ou publicité"),
    "propos_injurieux": _l("Propos injurieux"),
    "donnees_personnelles": _l("Données personnelles"),
    "hors_sujet": _l("Hors sujet"),
    "autre": _l("Autre"),
}
DETAILS_MAX_LENGTH = 1000


class AlreadyFlagged(Exception):
    """The user has already flagged this target (not an error for them: they are told so)."""


def flag_contribution(
    *,
    session: Session,
    contribution: Contribution,
    user: User,
    reason: str,
    details: str,
    hide_threshold: int,
) -> bool:
    """Record the user's flag on a contribution; return True if it got hidden by this flag."""
    reason, details = _clean(reason, details)
    _record(session, user=user, reason=reason, details=details, contribution_id=contribution.id)
    table = Contribution.__table__
    unresolved = _count_and_lock(session, table, Flag.contribution_id, contribution)
    if contribution.status != ContributionStatus.PUBLISHED or unresolved < hide_threshold:
        return False
    hidden = session.exec(
        update(table)
        .where(table.c.id == contribution.id, table.c.status == ContributionStatus.PUBLISHED)
        .values(status=ContributionStatus.HIDDEN, updated_at=utcnow(), version=table.c.version + 1)
        .returning(table.c.status, table.c.version)
    ).first()
    if hidden:
        # The version moves too: a moderator who opened the published contribution must see it is now hidden.
        set_committed_value(contribution, "status", ContributionStatus.HIDDEN)
        set_committed_value(contribution, "version", hidden.version)
    return bool(hidden)


def flag_comment(
    *,
    session: Session,
    comment: Comment,
    user: User,
    reason: str,
    details: str,
    hide_threshold: int,
) -> bool:
    """Record the user's flag on a comment; return True if it got hidden by this flag."""
    reason, details = _clean(reason, details)
    _record(session, user=user, reason=reason, details=details, comment_id=comment.id)
    unresolved = _count_and_lock(session, Comment.__table__, Flag.comment_id, comment)
    if comment.status != CommentStatus.PUBLISHED or unresolved < hide_threshold:
        return False
    change_status(session=session, comment=comment, status=CommentStatus.HIDDEN)
    return True


@export_section("flags")
def export_flags(session: Session, user: User) -> list[dict[str, Any]]:
    statement = select(Flag).where(Flag.user_id == user.id).order_by(Flag.created_at, Flag.id)
    return [
        {
            "contribution_id": flag.contribution_id,
            "comment_id": flag.comment_id,
            "reason": flag.reason,
            "details": flag.details,
            "created_at": flag.created_at.isoformat(),
            "resolved_at": flag.resolved_at.isoformat() if flag.resolved_at else None,
        }
        for flag in session.exec(statement)
    ]


def _clean(reason: str, details: str) -> tuple[str, str]:
    details = (details or "").strip()
    errors = {}
    if reason not in REASONS:
        errors["reason"] = _l("Choisissez le motif du signalement.")
    elif reason == "autre" and not details:
        errors["details"] = _l("Précisez en quelques mots ce qui pose problème.")
    if len(details) > DETAILS_MAX_LENGTH:
        errors["details"] = _l(
            "Votre précision fait %(length)d caractères : raccourcissez-la à %(max)s caractères au plus.",
            length=len(details),
            max="1 000",
        )
    elif details and (found := find_personal_data(details)):
        # Only moderators read it, but a health detail about someone has no place in a report either.
        errors["details"] = _l(
            "Votre précision semble contenir des données personnelles (%(kinds)s) : reformulez-la sans elles.",
            kinds=", ".join(sorted(str(k) for k in found.kinds)),
        )
    if errors:
        raise ValidationFailed(errors)
    return reason, details


def _record(session: Session, *, user: User, reason: str, details: str, **target: int) -> None:
    """Insert the flag; a second flag of the same user on the same target raises AlreadyFlagged.

    ON CONFLICT DO NOTHING on the partial unique index rather than a check before inserting: two
    clicks in a row cannot both get through.
    """
    ((column, target_id),) = target.items()
    table = Flag.__table__
    dialect = session.connection().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = (
        insert.values(user_id=user.id, reason=reason, details=details, created_at=utcnow(), **target)
        .on_conflict_do_nothing(index_elements=["user_id", column], index_where=text(f"{column} IS NOT NULL"))
        .returning(table.c.id)
    )
    if session.exec(statement).first() is None:
        raise AlreadyFlagged()


def _count_and_lock(session: Session, table, flag_column, target) -> int:
    """Bump the target's flag_count (which locks its row) and return its unresolved flags.

    The status read back under the lock replaces the one loaded before: a concurrent flag may have
    hidden the target meanwhile, and hiding it twice would count it out twice.
    """
    row = session.exec(
        update(table)
        .where(table.c.id == target.id)
        .values(flag_count=table.c.flag_count + 1)
        .returning(table.c.flag_count, table.c.status)
    ).one()
    set_committed_value(target, "flag_count", row.flag_count)
    set_committed_value(target, "status", row.status)
    return session.exec(
        select(func.count()).select_from(Flag).where(flag_column == target.id, Flag.resolved_at.is_(None))
    ).one()
