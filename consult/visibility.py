"""The one rule of who may read a contribution or a comment.

Every path that renders a contribution or a comment asks this module: pages, htmx fragments, flag
forms, votes, comment threads, duplicate notices, the API, exports and the assistant. A path that
cannot show something answers as if it did not exist (404), so that guessing ids reveals nothing.

- Everyone reads published contributions, and duplicates (their page points to the kept one).
- Their author reads their own contributions whatever the status (to follow a rejection, edit while
  pending); moderators (and admins) read everything.
- Comments live on published contributions: everyone reads published comments of a published
  contribution, their author also their own pending or hidden ones; moderators read every comment
  except the erased text of deleted ones. A comment never makes its contribution readable.

Lists, counts, exports and the assistant show only published content to everyone: use
`published_contributions()` and `published_comments()` in their queries.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, true

from consult.models import Comment, CommentStatus, Contribution, ContributionStatus, Role, User

# Anyone may open these contribution pages; the other statuses only their author and moderators.
PUBLIC_CONTRIBUTION_STATUSES = frozenset({ContributionStatus.PUBLISHED, ContributionStatus.DUPLICATE})


def is_moderator(user: User | None) -> bool:
    """Moderators and admins see and decide on everything."""
    return user is not None and user.has_role(Role.MODERATOR)


def contribution_visible_to(user: User | None, contribution: Contribution | None) -> bool:
    """Whether `user` (None: anonymous) may read `contribution`."""
    if contribution is None:
        return False
    if contribution.status in PUBLIC_CONTRIBUTION_STATUSES:
        return True
    return user is not None and (user.id == contribution.author_id or is_moderator(user))


def comment_visible_to(user: User | None, comment: Comment | None, parent: Contribution | None) -> bool:
    """Whether `user` may read `comment`, whose contribution is `parent`."""
    if comment is None or parent is None or comment.contribution_id != parent.id:
        return False
    if comment.status == CommentStatus.DELETED:
        return False  # its text is erased; the thread shows a placeholder
    if is_moderator(user):
        return True
    if parent.status != ContributionStatus.PUBLISHED:
        return False
    if comment.status == CommentStatus.PUBLISHED:
        return True
    return user is not None and user.id == comment.author_id


def can_list_status(user: User | None, status: str) -> bool:
    """Lists of anything but published contributions are for moderators."""
    return status == ContributionStatus.PUBLISHED or is_moderator(user)


def published_contributions() -> ColumnElement[bool]:
    """SQL condition: the contributions lists, counts, exports, the API and the assistant may show."""
    return Contribution.status == ContributionStatus.PUBLISHED


def published_comments() -> ColumnElement[bool]:
    """SQL condition on a query joining Comment and its Contribution: the comments anyone may read."""
    return and_(
        Comment.status == CommentStatus.PUBLISHED,
        Comment.contribution_id == Contribution.id,
        published_contributions(),
    )


def visible_contributions(user: User | None) -> ColumnElement[bool]:
    """SQL twin of contribution_visible_to, for queries over contributions a given user may open."""
    if is_moderator(user):
        return true()
    public = Contribution.status.in_(PUBLIC_CONTRIBUTION_STATUSES)
    if user is None:
        return public
    return or_(public, Contribution.author_id == user.id)


def visible_comments(user: User | None) -> ColumnElement[bool]:
    """SQL twin of comment_visible_to, on a query joining Comment and its Contribution."""
    joined = Comment.contribution_id == Contribution.id
    not_deleted = Comment.status != CommentStatus.DELETED
    if is_moderator(user):
        return and_(joined, not_deleted)
    readable = Comment.status == CommentStatus.PUBLISHED
    if user is not None:
        readable = or_(readable, and_(not_deleted, Comment.author_id == user.id))
    return and_(joined, published_contributions(), readable)
