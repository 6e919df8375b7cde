"""Vote on a contribution: htmx swaps the buttons in place; without JavaScript, POST + redirect."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from consult.db import get_session
from consult.errors import Conflict
from consult.models import Contribution
from consult.visibility import contribution_visible_to
from consult.votes import services
from consult.votes.forms import VoteForm
from consult.votes.web import (
    back_to,
    participation_back,
    sign_in_required,
    vote_panel,
    wants_fragment,
    write_limit,
)

bp = Blueprint("votes", __name__)
# Used by the votes, comments and flags components for their no-JavaScript way back.
bp.add_app_template_global(participation_back)
bp.add_app_template_global(vote_panel, "make_vote_panel")


@bp.post("/contributions/<int:contribution_id>/vote")
@sign_in_required
@write_limit()
def vote(contribution_id: int):
    session = get_session()
    contribution = session.get(Contribution, contribution_id)
    if not contribution_visible_to(g.user, contribution):
        abort(404)  # the answer would show its title and counts
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        my_vote = services.cast_vote(session=session, contribution=contribution, user=g.user, value=form.value.data)
    except Conflict as exc:
        session.rollback()
        if not wants_fragment():
            raise
        # htmx 2 does not swap 4xx bodies: answer 200 so the reason shows inside the component.
        my_vote = services.vote_of(session=session, contribution_id=contribution.id, user=g.user)
        return render_template(
            "votes/_vote_buttons.html",
            contribution=contribution,
            my_vote=my_vote,
            vote_error=str(exc),
            can_vote=False,
        )
    session.commit()
    if wants_fragment():
        return render_template("votes/_vote_buttons.html", contribution=contribution, my_vote=my_vote, vote_saved=True)
    flash(_("Votre vote est enregistré."), "success")
    return redirect(back_to(url_for("comments.thread", contribution_id=contribution.id)), 303)
