"""Comments: thread loading (one query), posting, editing, deleting, status changes.

Contribution.comment_count counts the *published* comments (replies included); every status
change goes through change_status() so the counter moves in the same transaction, as one SQL
increment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from consult.account.services import export_section
from consult.analysis.services import find_personal_data
from consult.errors import Conflict, ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import (
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    ContributionStatus,
    ModerationMode,
    User,
    utcnow,
)
from consult.visibility import comment_visible_to

MIN_LENGTH = 2
MAX_LENGTH = 2000
_STATUS_ATTEMPTS = 3


@dataclass
class Thread:
    """The comments of one contribution as one viewer may see them, authors included."""

    contribution: Contribution
    viewer: User | None
    is_open: bool = False  # whether new comments, replies and edits are accepted
    comments: list[Comment] = field(default_factory=list)  # top level, oldest first
    replies: dict[int, list[Comment]] = field(default_factory=dict)  # parent id -> replies, oldest first
    authors: dict[int, User] = field(default_factory=dict)

    def can_read(self, comment: Comment) -> bool:
        return comment_visible_to(self.viewer, comment, self.contribution)

    def can_edit(self, comment: Comment) -> bool:
        return (
            self.viewer is not None
            and comment.author_id == self.viewer.id
            and comment.status in (CommentStatus.PUBLISHED, CommentStatus.PENDING)
        )

    @property
    def count(self) -> int:
        return sum(1 + len(self.replies.get(c.id, [])) for c in self.comments)


def load_thread(*, session: Session, contribution: Contribution, viewer: User | None) -> Thread:
    """Load the thread with its authors in a single query, keeping only what `viewer` may see.

    A top-level comment that was deleted or that the viewer cannot read stays as a placeholder
    when it has visible replies, so the replies keep their context.
    """
    statement = (
        select(Comment, User)
        .join(User, User.id == Comment.author_id)
        .where(Comment.contribution_id == contribution.id)
        .order_by(Comment.created_at, Comment.id)
    )
    consultation = session.get(Consultation, contribution.consultation_id)
    is_open = consultation.status() == "open" and contribution.status == ContributionStatus.PUBLISHED
    thread = Thread(contribution=contribution, viewer=viewer, is_open=is_open)
    top_level: list[Comment] = []
    for comment, author in session.exec(statement):
        thread.authors[author.id] = author
        if comment.parent_id is None:
            top_level.append(comment)
        elif thread.can_read(comment):
            thread.replies.setdefault(comment.parent_id, []).append(comment)
    thread.comments = [c for c in top_level if thread.can_read(c) or thread.replies.get(c.id)]
    return thread


def create_comment(
    *,
    session: Session,
    contribution: Contribution,
    author: User,
    body: str,
    parent_id: int | None = None,
) -> Comment:
    """Post a comment (or a reply); pending on pre-moderated consultations, published otherwise."""
    consultation = _check_open(session, contribution)
    body = _clean_body(body)
    parent = None
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.contribution_id != contribution.id or parent.status != CommentStatus.PUBLISHED:
            raise ValidationFailed({"__all__": _l("Le commentaire auquel vous répondez n'est plus disponible.")})
        # One level of replies: answering a reply answers its parent.
        parent = session.get(Comment, parent.parent_id) if parent.parent_id else parent
    now = utcnow()
    comment = Comment(
        created_at=now,
        updated_at=now,  # equal until an edit: the thread shows "modifié" when they differ
        contribution_id=contribution.id,
        author_id=author.id,
        parent_id=parent.id if parent else None,
        body=body,
        status=_initial_status(consultation),
    )
    session.add(comment)
    session.flush()
    if comment.status == CommentStatus.PUBLISHED:
        _bump_comment_count(session, contribution.id, +1)
    return comment


def update_comment(*, session: Session, comment: Comment, body: str) -> Comment:
    """Change the text of a comment (its author's; the view checks who asks)."""
    if comment.status not in (CommentStatus.PUBLISHED, CommentStatus.PENDING):
        raise Conflict(_l("Ce commentaire ne peut plus être modifié."))
    contribution = session.get(Contribution, comment.contribution_id)
    consultation = _check_open(session, contribution)
    comment.body = _clean_body(body)
    comment.updated_at = utcnow()
    session.add(comment)
    # On a pre-moderated consultation an edit goes back to the moderators: no approval bypass.
    change_status(session=session, comment=comment, status=_initial_status(consultation))
    session.flush()
    return comment


def delete_comment(*, session: Session, comment: Comment) -> None:
    """Delete a comment at its author's request: text erased; a placeholder keeps replies' context.

    Allowed even on a closed consultation: authors keep control over what they wrote.
    """
    if comment.status == CommentStatus.DELETED:
        return
    comment.body = ""
    comment.updated_at = utcnow()
    change_status(session=session, comment=comment, status=CommentStatus.DELETED)


def change_status(*, session: Session, comment: Comment, status: str, expected_version: int | None = None) -> bool:
    """Set a comment's status and move the contribution's comment_count (moderation uses it too).

    The UPDATE only applies from the status we believe the comment has: if a concurrent request
    (a flag, a moderator) changed it first, we reload and decide again, so a comment is never
    counted in or out twice. With `expected_version` (a moderator's decision) there is no second
    try: if the comment is no longer at that version, nothing changes and False is returned.
    The version moves with the status, as the ORM's optimistic lock expects.
    """
    session.add(comment)
    session.flush()  # pending edits of the text go first
    table = Comment.__table__
    for _attempt in range(_STATUS_ATTEMPTS):
        previous = comment.status
        if previous == status:
            return True
        condition = (table.c.id == comment.id) & (table.c.status == previous)
        if expected_version is not None:
            condition &= table.c.version == expected_version
        row = session.exec(
            update(table).where(condition).values(status=status, version=table.c.version + 1).returning(table.c.version)
        ).first()
        if row is not None:
            set_committed_value(comment, "status", status)
            set_committed_value(comment, "version", row.version)
            if (previous == CommentStatus.PUBLISHED) != (status == CommentStatus.PUBLISHED):
                delta = +1 if status == CommentStatus.PUBLISHED else -1
                _bump_comment_count(session, comment.contribution_id, delta)
            return True
        if expected_version is not None:
            return False
        session.refresh(comment, ["status", "version"])
    raise RuntimeError(f"status of comment {comment.id} keeps changing")


@export_section("comments")
def export_comments(session: Session, user: User) -> list[dict[str, Any]]:
    statement = select(Comment).where(Comment.author_id == user.id).order_by(Comment.created_at, Comment.id)
    return [
        {
            "id": comment.id,
            "contribution_id": comment.contribution_id,
            "parent_id": comment.parent_id,
            "body": comment.body,
            "status": comment.status,
            "created_at": comment.created_at.isoformat(),
            "updated_at": comment.updated_at.isoformat(),
        }
        for comment in session.exec(statement)
    ]


def _check_open(session: Session, contribution: Contribution) -> Consultation:
    consultation = session.get(Consultation, contribution.consultation_id)
    if consultation.status() != "open":
        raise Conflict(_l("Cette consultation n'est pas ouverte : il n'est pas possible de commenter."))
    if contribution.status != ContributionStatus.PUBLISHED:
        raise Conflict(_l("Cette contribution n'est pas publiée : il n'est pas possible de la commenter."))
    return consultation


def _initial_status(consultation: Consultation) -> str:
    return CommentStatus.PENDING if consultation.moderation == ModerationMode.PRE else CommentStatus.PUBLISHED


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if len(body) < MIN_LENGTH:
        raise ValidationFailed({"body": _l("Écrivez un commentaire d'au moins %(min)d caractères.", min=MIN_LENGTH)})
    if len(body) > MAX_LENGTH:
        raise ValidationFailed(
            {
                "body": _l(
                    "Votre commentaire fait %(length)d caractères : raccourcissez-le à %(max)s caractères au plus.",
                    length=len(body),
                    max="2 000",
                )
            }
        )
    found = find_personal_data(body)
    if found:
        # Comments are short: no "publish masked" step, the author rewrites (the masked text is a starting point).
        masked = found.redacted if len(found.redacted) <= 300 else found.redacted[:300] + "…"
        raise ValidationFailed(
            {
                "body": _l(
                    "Votre commentaire semble contenir des données personnelles (%(kinds)s), qui ne peuvent pas être "
                    "publiées. Reformulez-le sans elles, par exemple : « %(masked)s »",
                    kinds=", ".join(sorted(str(k) for k in found.kinds)),
                    masked=masked,
                )
            }
        )
    return body


def _bump_comment_count(session: Session, contribution_id: int, delta: int) -> None:
    # One SQL increment: concurrent comments never overwrite each other's count.
    columns = Contribution.__table__.c
    new_count = session.exec(
        update(Contribution.__table__)
        .where(columns.id == contribution_id)
        .values(comment_count=columns.comment_count + delta)
        .returning(columns.comment_count)
    ).scalar_one()
    contribution = session.identity_map.get(session.identity_key(Contribution, contribution_id))
    if contribution is not None:
        set_committed_value(contribution, "comment_count", new_count)
