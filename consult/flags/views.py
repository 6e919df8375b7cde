"""Report a contribution or a comment.

htmx swaps the flag button for the form, then for the outcome; without JavaScript, a form page
then a redirect back.
"""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consult.auth.access import safe_next
from consult.db import get_session
from consult.errors import ValidationFailed
from consult.flags import services
from consult.flags.forms import FlagForm
from consult.models import Comment, CommentStatus, Consultation, Contribution, ContributionStatus
from consult.visibility import comment_visible_to, contribution_visible_to
from consult.votes.web import back_to, sign_in_required, wants_fragment, write_limit

bp = Blueprint("flags", __name__)

# Only published content can be flagged, and only by someone allowed to read it (the form shows its text).
BUTTONS = {"contribution": "flags/_flag_button.html", "comment": "flags/_flag_comment_button.html"}


@bp.route("/contributions/<int:contribution_id>/signaler", methods=["GET", "POST"])
@sign_in_required
@write_limit()
def flag_contribution(contribution_id: int):
    contribution = get_session().get(Contribution, contribution_id)
    if not contribution_visible_to(g.user, contribution) or contribution.status != ContributionStatus.PUBLISHED:
        abort(404)
    return _flag("contribution", contribution, contribution.id, services.flag_contribution)


@bp.route("/commentaires/<int:comment_id>/signaler", methods=["GET", "POST"])
@sign_in_required
@write_limit()
def flag_comment(comment_id: int):
    session = get_session()
    comment = session.get(Comment, comment_id)
    parent = session.get(Contribution, comment.contribution_id) if comment else None
    if not comment_visible_to(g.user, comment, parent) or comment.status != CommentStatus.PUBLISHED:
        abort(404)
    return _flag("comment", comment, comment.contribution_id, services.flag_comment)


def _flag(kind: str, target, contribution_id: int, record):
    """The shared ladder of both routes: show the form, validate, record, answer."""
    form = FlagForm()
    # The form page (no JavaScript, or reached through the login page) posts as a plain form and goes back to
    # the contribution: posting it with htmx left the user on the form page, and its own path as `next`
    # brought them back to it.
    back = safe_next(request.values.get("next")) or url_for("contributions.detail", contribution_id=contribution_id)
    context = {"kind": kind, "target": target, "reasons": services.REASONS, "back_url": back}
    if not form.is_submitted():
        return _render_form(context, form, {})
    if not form.validate():
        abort(400)
    session = get_session()
    hidden = False
    try:
        hidden = record(
            session=session,
            **{kind: target},
            user=g.user,
            reason=form.reason.data or "",
            details=form.details.data or "",
            hide_threshold=current_app.config["FLAG_HIDE_THRESHOLD"],
        )
    except ValidationFailed as exc:
        return _render_form(context, form, exc.errors, status=422)
    except services.AlreadyFlagged:
        session.rollback()
        message = _("Vous avez déjà signalé ce contenu : l'équipe de modération va l'examiner.")
        category = "info"
    else:
        session.commit()
        message = _("Merci, votre signalement a été transmis à l'équipe de modération.")
        category = "success"
    if wants_fragment():
        return render_template(BUTTONS[kind], **{kind: target}, flag_message=message)
    flash(message, category)
    if hidden and kind == "contribution":
        # Its page is no longer public: going back there would be a 404.
        consultation = session.get(Consultation, target.consultation_id)
        return redirect(url_for("consultations.detail", slug=consultation.slug), 303)
    return redirect(back_to(url_for("comments.thread", contribution_id=contribution_id)), 303)


def _render_form(context: dict, form: FlagForm, errors: dict, status: int = 200):
    context |= {"errors": errors, "reason": form.reason.data, "details": form.details.data}
    if wants_fragment():
        # htmx 2 does not swap 4xx bodies: errors come back as 200 so they show in the form.
        return render_template("flags/_flag_form.html", **context)
    return render_template("flags/flag.html", **context), status
