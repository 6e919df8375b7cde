"""Anonymising an account: on its owner's request, and DATA_RETENTION_MONTHS after the last sign-in (the notice).

What stays is what the consultation published, with no link left to the person nor between their texts:

- published contributions (also duplicates and those hidden for review) and their published comments move to
  one shared author, "Participant anonyme", with nobody behind it; so does any other comment, whose text is
  erased first;
- contributions never published or no longer public (pending, rejected, withdrawn) are erased, so that nothing
  of theirs can be published after the person has gone;
- votes stay counted on an account that has no e-mail, no password and a random name shown nowhere (opinion
  groups need each participant's votes together, never who they were); the details written with flags are erased;
- the account keeps no e-mail, password, pseudonym, language, dates of consent or last sign-in; every session ends;
- features with more data about the person erase it through `consult.account.services.ERASERS`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, delete, select

from consult.account.services import ERASERS
from consult.comments.services import change_status
from consult.models import (
    Comment,
    CommentStatus,
    Contribution,
    ContributionStatus,
    Flag,
    Role,
    User,
    utcnow,
)
from consult.retention import register_purge

ANONYMOUS_PSEUDONYM = "Participant anonyme"  # reserved at sign-up (auth.services.RESERVED_PSEUDONYM_PREFIXES)
# Kept, anonymised: what the public saw or a moderator still has to decide on.
KEPT_STATUSES = (ContributionStatus.PUBLISHED, ContributionStatus.DUPLICATE, ContributionStatus.HIDDEN)
# Before anonymisation existed, deleted accounts were renamed "Participant anonyme #<id>": the purge finishes them.
LEGACY_PREFIX = "Participant anonyme #"


def anonymous_author(*, session: Session) -> User:
    """The one account that anonymised contributions and comments are attributed to (created on first use)."""
    author = session.exec(
        select(User).where(User.pseudonym == ANONYMOUS_PSEUDONYM, User.email.is_(None), User.deleted_at.is_not(None))
    ).first()
    if author is None:
        now = utcnow()
        author = User(pseudonym=ANONYMOUS_PSEUDONYM, role=Role.CITIZEN, created_at=now, deleted_at=now)
        session.add(author)
        session.flush()
    return author


def anonymise_user(*, session: Session, user: User, now: datetime | None = None) -> None:
    """Erase the person behind `user` and detach what they published (see the module docstring)."""
    now = now or utcnow()
    author = anonymous_author(session=session)
    if user.id == author.id:
        return
    _erase_unpublished_contributions(session, user)
    session.exec(
        update(Contribution)
        .where(Contribution.author_id == user.id, Contribution.status.in_(KEPT_STATUSES))
        .values(author_id=author.id)
    )
    for comment in session.exec(select(Comment).where(Comment.author_id == user.id)).all():
        if comment.status != CommentStatus.PUBLISHED:
            comment.body = ""
            change_status(session=session, comment=comment, status=CommentStatus.DELETED)
        comment.author_id = author.id
        session.add(comment)
    session.exec(update(Flag).where(Flag.user_id == user.id).values(details=""))
    for eraser in ERASERS.values():
        eraser(session, user)
    user.email = None
    user.password_hash = None
    user.pseudonym = f"anonyme-{secrets.token_hex(12)}"
    user.locale = None
    user.role = Role.CITIZEN
    user.privacy_consent_at = None
    user.email_verified_at = None
    user.last_login_at = None
    user.deleted_at = user.deleted_at or now
    user.session_version += 1
    session.add(user)
    session.flush()


def _erase_unpublished_contributions(session: Session, user: User) -> None:
    gone = select(Contribution.id).where(Contribution.author_id == user.id, Contribution.status.not_in(KEPT_STATUSES))
    # Another contribution may point to one of them as the one it duplicates.
    session.exec(update(Contribution).where(Contribution.duplicate_of_id.in_(gone)).values(duplicate_of_id=None))
    session.exec(delete(Contribution).where(Contribution.id.in_(gone)))


@register_purge("comptes inactifs (anonymisés)")
def purge_inactive_accounts(*, session: Session, now: datetime, dry_run: bool) -> int:
    """Anonymise the accounts without a sign-in for DATA_RETENTION_MONTHS (the privacy notice's promise).

    An account never signed in counts from its creation. Accounts deleted before anonymisation existed (still
    named "Participant anonyme #<id>") are finished here too.
    """
    months = current_app.config["DATA_RETENTION_MONTHS"]
    cutoff = now - timedelta(days=round(months * 365.25 / 12))
    inactive = (
        User.deleted_at.is_(None),
        User.email_verified_at.is_not(None),  # unconfirmed accounts have their own, shorter purge
        func.coalesce(User.last_login_at, User.created_at) < cutoff,
    )
    legacy = (User.deleted_at.is_not(None), User.pseudonym.startswith(LEGACY_PREFIX))
    due = select(User).where(or_(and_(*inactive), and_(*legacy))).order_by(User.id)
    users = session.exec(due).all()
    if not dry_run:
        for user in users:
            anonymise_user(session=session, user=user, now=now)
    return len(users)
