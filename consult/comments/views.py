"""Comment threads: read, post, reply, edit, delete.

htmx swaps the whole thread; without JavaScript, POST then redirect back (or the thread page with
the errors and the text kept).
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from consult.comments import services
from consult.comments.forms import (
    CommentDeleteForm,
    CommentEditForm,
    CommentForm,
)
from consult.db import get_session
from consult.errors import Conflict, ValidationFailed
from consult.inputs import db_int
from consult.models import (
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    ContributionStatus,
)
from consult.visibility import comment_visible_to, contribution_visible_to
from consult.votes.web import back_to, sign_in_required, wants_fragment, write_limit

bp = Blueprint("comments", __name__)


def comment_thread(contribution: Contribution) -> services.Thread:
    """Template global: the thread of `contribution` for the signed-in user (if not passed in)."""
    return services.load_thread(session=get_session(), contribution=contribution, viewer=g.get("user"))


bp.add_app_template_global(comment_thread)


@bp.get("/contributions/<int:contribution_id>/commentaires")
def thread(contribution_id: int):
    contribution = _readable_contribution(contribution_id)
    if contribution.status != ContributionStatus.PUBLISHED:
        abort(404)  # threads are for published contributions
    return _render_thread(contribution)


@bp.post("/contributions/<int:contribution_id>/commentaires")
@sign_in_required
@write_limit()
def create(contribution_id: int):
    session = get_session()
    contribution = _readable_contribution(contribution_id)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    parent_id = form.parent_id.data
    if parent_id is not None and db_int(parent_id) is None:
        abort(400)  # the reply button sends an id; anything else was typed by hand
    target = f"reply-{parent_id}" if parent_id else "new"
    try:
        comment = services.create_comment(
            session=session,
            contribution=contribution,
            author=g.user,
            body=form.body.data or "",
            parent_id=parent_id,
        )
    except ValidationFailed as exc:
        return _render_thread(contribution, 422, form_target=target, form_errors=exc.errors, form_body=form.body.data)
    except Conflict as exc:
        return _refuse(contribution, exc)
    session.commit()
    if comment.status == CommentStatus.PENDING:
        message = _("Merci, votre commentaire sera publié après validation par l'équipe de modération.")
    else:
        message = _("Votre commentaire est publié.")
    return _done(contribution, message, anchor=f"comment-{comment.id}")


@bp.route("/commentaires/<int:comment_id>/modifier", methods=["GET", "POST"])
@sign_in_required
@write_limit()
def edit(comment_id: int):
    session = get_session()
    comment = _own_comment(comment_id)
    contribution = session.get(Contribution, comment.contribution_id)
    form = CommentEditForm(data={"body": comment.body})
    target = f"edit-{comment.id}"
    if not form.is_submitted():
        return _render_thread(contribution, form_target=target, form_body=comment.body)
    if not form.validate():
        abort(400)
    try:
        services.update_comment(session=session, comment=comment, body=form.body.data or "")
    except ValidationFailed as exc:
        return _render_thread(contribution, 422, form_target=target, form_errors=exc.errors, form_body=form.body.data)
    except Conflict as exc:
        return _refuse(contribution, exc)
    session.commit()
    if comment.status == CommentStatus.PENDING:
        message = _(
            "Votre commentaire est modifié ; il sera de nouveau publié après validation par l'équipe de modération."
        )
    else:
        message = _("Votre commentaire est modifié.")
    return _done(contribution, message, anchor=f"comment-{comment.id}")


@bp.post("/commentaires/<int:comment_id>/supprimer")
@sign_in_required
@write_limit()
def delete(comment_id: int):
    session = get_session()
    comment = _own_comment(comment_id)
    if not CommentDeleteForm().validate_on_submit():
        abort(400)
    services.delete_comment(session=session, comment=comment)
    session.commit()
    contribution = session.get(Contribution, comment.contribution_id)
    return _done(contribution, _("Votre commentaire est supprimé."), anchor=f"comments-{contribution.id}")


def _readable_contribution(contribution_id: int) -> Contribution:
    contribution = get_session().get(Contribution, contribution_id)
    if not contribution_visible_to(g.user, contribution):
        abort(404)
    return contribution


def _own_comment(comment_id: int) -> Comment:
    session = get_session()
    comment = session.get(Comment, comment_id) or abort(404)
    parent = session.get(Contribution, comment.contribution_id)
    # Once its contribution is withdrawn or hidden, the comment (and the page around it) is not shown.
    if not comment_visible_to(g.user, comment, parent):
        abort(404)
    if comment.author_id != g.user.id:
        abort(403)
    return comment


def _render_thread(contribution: Contribution, status: int = 200, **context):
    """The thread alone for htmx, else the discussion page around it."""
    session = get_session()
    thread = services.load_thread(session=session, contribution=contribution, viewer=g.get("user"))
    if wants_fragment():
        # htmx 2 does not swap 4xx bodies: errors come back as 200 so they show in the thread.
        return render_template("comments/_thread.html", contribution=contribution, thread=thread, **context)
    consultation = session.get(Consultation, contribution.consultation_id)
    page = render_template(
        "comments/thread.html",
        contribution=contribution,
        consultation=consultation,
        thread=thread,
        **context,
    )
    return page, status


def _refuse(contribution: Contribution, exc: Conflict):
    """A 409 page without JavaScript; inside the thread for htmx."""
    get_session().rollback()
    if not wants_fragment():
        raise exc
    return _render_thread(contribution, notice_error=str(exc))


def _done(contribution: Contribution, message: str, *, anchor: str):
    if wants_fragment():
        return _render_thread(contribution, notice=message)
    flash(message, "success")
    fallback = url_for("comments.thread", contribution_id=contribution.id)
    return redirect(f"{back_to(fallback)}#{anchor}", 303)
