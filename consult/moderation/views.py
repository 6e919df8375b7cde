"""The moderation workspace (/moderation/): queue, item panels, decisions, audit journal. Moderators and admins only.

One URL per screen renders the full page or, for htmx, the partial the page includes. A decision answers
with the item's panel (htmx) or redirects to it; a conflict shows the item's fresh state with the reason.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlmodel import select

from consult.auth.access import role_required
from consult.consultations.services import list_consultations
from consult.db import get_session
from consult.errors import Conflict, ValidationFailed
from consult.flags.services import REASONS as FLAG_REASONS
from consult.inputs import db_int
from consult.models import Comment, Contribution, ModerationAction, Role, User
from consult.moderation import audit, panels, queue, services
from consult.moderation.forms import (
    bulk_items,
    parse_journal_filters,
    parse_queue_filters,
    queue_query,
    seen_version,
)
from consult.moderation.reasons import load_reasons
from consult.taxonomy.services import list_principles, list_themes
from consult.votes.web import wants_fragment, write_limit

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
@role_required(Role.MODERATOR)
def _moderators_only():
    """Every page and action of the workspace: moderators and admins; 403 for the others."""


def _consultations():
    groups = list_consultations(session=get_session())
    return [consultation for group in groups.values() for consultation in group]


def _reasons():
    return load_reasons(current_app.config["MODERATION_REASONS_PATH"])


@bp.app_template_global()
def masked_kind_label(value: str) -> str:
    """A redaction's "field:kind" (« body:phone ») in words for the journal: « numéro de téléphone (texte) »."""
    from consult.analysis.services import span_label

    field, _sep, kind = value.partition(":")
    return f"{span_label(kind)} ({_('titre') if field == 'title' else _('texte')})"


@bp.app_template_global()
def rejection_reason_label(key: str) -> str:
    """A rejection reason's label in the interface's language, for the journal (it showed the stored key)."""
    reason = _reasons().get(key)
    return reason.label_for(str(get_locale() or "fr")) if reason else key


def _common() -> dict:
    session = get_session()
    return {
        "reasons": _reasons().values(),
        "locale": str(get_locale()),
        "themes": list_themes(session=session),
        "principles": list_principles(session=session),
        "flag_reasons": FLAG_REASONS,
    }


def _counts_cache() -> dict:
    """The large states' counts, per process (see queue.count_states); a decision made here forgets them."""
    return current_app.extensions.setdefault("consult.queue_counts", {})


@bp.get("/")
def index():
    session = get_session()
    filters = parse_queue_filters(request.args)
    page = queue.load_queue(session=session, filters=filters, cache=_counts_cache())
    context = {"page": page, "filters": filters, "query": queue_query(filters), **_common()}
    if wants_fragment() and request.args.get("fragment") == "queue":
        return render_template("moderation/_queue.html", **context)
    return render_template("moderation/index.html", consultations=_consultations(), **context)


# --- contributions -------------------------------------------------------------------------------------------


def _contribution(contribution_id: int) -> Contribution:
    return get_session().get(Contribution, contribution_id) or abort(404)


def _render_contribution(contribution: Contribution, *, status: int = 200, **context):
    session = get_session()
    data = panels.load_contribution_panel(session=session, contribution=contribution)
    filters = parse_queue_filters(request.args)
    previous, following = queue.neighbours(
        session=session, filters=filters, kind="contribution", item_id=contribution.id
    )
    context = {
        "item": data,
        "errors": {},
        "form": {},
        "previous": previous,
        "following": following,
        "query": queue_query(filters),
        **_common(),
        **context,
    }
    if wants_fragment():
        # htmx 2 does not swap 4xx bodies: errors and conflicts come back as 200 so they show in the panel.
        return render_template("moderation/_panel.html", **context)
    return render_template("moderation/item.html", **context), status


@bp.get("/contributions/<int:contribution_id>")
def panel(contribution_id: int):
    return _render_contribution(_contribution(contribution_id))


def _publish(session, contribution, version, form):
    action = services.publish_contribution(
        session=session, moderator=g.user, contribution=contribution, seen_version=version
    )
    return {
        ModerationAction.PUBLISH: _("La contribution est publiée."),
        ModerationAction.RESTORE: _("La contribution est rétablie : elle est de nouveau publiée."),
        ModerationAction.DISMISS_FLAGS: _("Les signalements sont classés : la contribution reste publiée."),
    }[action]


def _reject(session, contribution, version, form):
    services.reject_contribution(
        session=session,
        moderator=g.user,
        contribution=contribution,
        seen_version=version,
        reason=_reasons().get(form.get("reason", "")),
        details=form.get("details", ""),
    )
    return _("La contribution est refusée ; son auteur voit le motif.")


def _merge(session, contribution, version, form):
    kept = (form.get("kept") or "").strip().lstrip("#")
    result = services.merge_duplicate(
        session=session,
        moderator=g.user,
        duplicate=contribution,
        seen_version=version,
        kept_id=db_int(kept),  # "²" is a digit for str.isdigit but not for int()
    )
    return _(
        "Fusionnée avec la contribution n° %(id)d : %(moved)d vote(s) transféré(s), %(left)d déjà exprimé(s) là-bas "
        "reste(nt) sur le doublon.",
        id=result.kept.id,
        moved=result.votes_moved,
        left=result.votes_kept_on_duplicate,
    )


def _hide(session, contribution, version, form):
    services.hide_contribution(session=session, moderator=g.user, contribution=contribution, seen_version=version)
    return _("La contribution est masquée.")


def _redact(session, contribution, version, form):
    count = services.redact_contribution(
        session=session,
        moderator=g.user,
        contribution=contribution,
        seen_version=version,
        span_keys=form.getlist("spans"),
        passage=form.get("passage", "")[:500],
        retention_days=current_app.config["REDACTED_ORIGINAL_RETENTION_DAYS"],
    )
    return _("%(n)d donnée(s) masquée(s) ; l'original reste visible des seuls modérateurs puis sera effacé.", n=count)


def _labels(session, contribution, version, form):
    services.correct_labels(
        session=session,
        moderator=g.user,
        contribution=contribution,
        seen_version=version,
        theme_id=form.get("theme", "").strip()[:4] or None,
        principle_ids=[p[:4] for p in form.getlist("principles")][:16],
    )
    return _("Le thème et les principes sont corrigés.")


def _title(session, contribution, version, form):
    services.edit_title(
        session=session, moderator=g.user, contribution=contribution, seen_version=version, title=form.get("title", "")
    )
    return _("Le titre est modifié ; son auteur en est informé.")


CONTRIBUTION_ACTIONS = {
    "publier": _publish,
    "refuser": _reject,
    "fusionner": _merge,
    "masquer": _hide,
    "masquer-donnees": _redact,
    "etiquettes": _labels,
    "titre": _title,
}


@bp.post("/contributions/<int:contribution_id>/<action>")
@write_limit()
def act(contribution_id: int, action: str):
    decide = CONTRIBUTION_ACTIONS.get(action) or abort(404)
    contribution = _contribution(contribution_id)
    version = seen_version(request.form)
    if version is None:
        abort(400)
    session = get_session()
    try:
        message = decide(session, contribution, version, request.form)
    except ValidationFailed as exc:
        session.rollback()
        return _render_contribution(contribution, status=422, errors=exc.errors, form=request.form, action=action)
    except Conflict as exc:
        session.rollback()
        session.refresh(contribution)
        return _render_contribution(contribution, status=409, conflict=str(exc))
    session.commit()
    return _done(message, url_for("moderation.panel", contribution_id=contribution.id, **_query_args()), contribution)


def _query_args() -> dict:
    return queue_query(parse_queue_filters(request.args))


def _done(message: str, location: str, contribution: Contribution | None = None, comment: Comment | None = None):
    _counts_cache().clear()
    if wants_fragment():
        response = (
            _render_contribution(contribution, notice=message)
            if contribution is not None
            else _render_comment(comment, notice=message)
        )
        # The queue listens for this event and reloads: the decided item leaves it or changes state.
        return Response(response, headers={"HX-Trigger": "queue-changed"})
    flash(message, "success")
    return redirect(location, 303)


@bp.get("/contributions/<int:contribution_id>/journal")
def contribution_journal(contribution_id: int):
    contribution = _contribution(contribution_id)
    events = audit.list_events(
        session=get_session(), filters=audit.JournalFilters(contribution_id=contribution.id), limit=500
    )
    return render_template("moderation/contribution_journal.html", contribution=contribution, events=events)


# --- comments ------------------------------------------------------------------------------------------------


def _comment(comment_id: int) -> Comment:
    return get_session().get(Comment, comment_id) or abort(404)


def _render_comment(comment: Comment, *, status: int = 200, **context):
    data = panels.load_comment_panel(session=get_session(), comment=comment)
    context = {"item": data, "errors": {}, "query": _query_args(), "flag_reasons": FLAG_REASONS, **context}
    if wants_fragment():
        return render_template("moderation/_comment_panel.html", **context)
    return render_template("moderation/comment.html", **context), status


@bp.get("/commentaires/<int:comment_id>")
def comment_panel(comment_id: int):
    return _render_comment(_comment(comment_id))


@bp.post("/commentaires/<int:comment_id>/<action>")
@write_limit()
def act_on_comment(comment_id: int, action: str):
    if action not in ("publier", "masquer"):
        abort(404)
    comment = _comment(comment_id)
    version = seen_version(request.form)
    if version is None:
        abort(400)
    session = get_session()
    try:
        services.moderate_comment(
            session=session, moderator=g.user, comment=comment, seen_version=version, publish=action == "publier"
        )
    except Conflict as exc:
        session.rollback()
        session.refresh(comment)
        return _render_comment(comment, status=409, conflict=str(exc))
    session.commit()
    message = _("Le commentaire est publié.") if action == "publier" else _("Le commentaire est masqué.")
    return _done(message, url_for("moderation.comment_panel", comment_id=comment.id, **_query_args()), comment=comment)


# --- bulk ----------------------------------------------------------------------------------------------------


@bp.post("/lot")
@write_limit()
def bulk():
    items = bulk_items(request.form)
    if items is None:
        abort(400)
    session = get_session()
    action = request.form.get("action", "")
    try:
        count = services.apply_bulk(
            session=session,
            moderator=g.user,
            action=action,
            items=items,
            reason=_reasons().get(request.form.get("reason", "")),
            details=request.form.get("details", ""),
        )
    except ValidationFailed as exc:
        session.rollback()
        message, category = " ".join(str(m) for m in exc.errors.values()), "error"
    except services.BulkRefused as exc:
        session.rollback()
        details = "; ".join(f"n° {item_id} : {problem}" for _kind, item_id, problem in exc.problems)
        message = _(
            "Rien n'a été enregistré : %(n)d élément(s) ne peuvent pas recevoir cette décision tels qu'affichés "
            "(%(details)s). La file est rechargée.",
            n=len(exc.problems),
            details=details,
        )
        category = "error"
    else:
        session.commit()
        _counts_cache().clear()
        message, category = _("Décision appliquée à %(n)d élément(s).", n=count), "success"
    filters = parse_queue_filters(request.args)
    if wants_fragment():
        page = queue.load_queue(session=session, filters=filters, cache=_counts_cache())
        context = {"page": page, "filters": filters, "query": queue_query(filters), **_common()}
        return render_template("moderation/_queue.html", bulk_message=message, bulk_category=category, **context)
    flash(message, category)
    return redirect(url_for("moderation.index", **queue_query(filters)), 303)


# --- journal -------------------------------------------------------------------------------------------------


@bp.get("/journal")
def journal():
    session = get_session()
    filters = parse_journal_filters(request.args)
    events = audit.list_events(session=session, filters=filters)
    moderators = session.exec(
        select(User).where(User.role.in_([Role.MODERATOR, Role.ADMIN])).order_by(User.pseudonym)
    ).all()
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template(
        "moderation/journal.html",
        events=events,
        filters=filters,
        args=args,
        moderators=moderators,
        consultations=_consultations(),
        actions=list(ModerationAction),
        more=len(events) == audit.JOURNAL_PAGE_SIZE,
    )


@bp.get("/journal.csv")
def journal_csv():
    filters = parse_journal_filters(request.args)
    session = get_session()
    return Response(
        stream_with_context(audit.journal_csv(session=session, filters=filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="journal-moderation.csv"'},
    )
