"""Contribution pages: list (full page or htmx partial), submit, page, edit, withdraw, mine."""

import functools
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from consult.auth.access import login_required
from consult.consultations.services import get_consultation
from consult.contributions import cards, listing, services
from consult.contributions.forms import (
    ContributionForm,
    WithdrawForm,
    parse_filters,
)
from consult.db import get_session
from consult.errors import ValidationFailed
from consult.extensions import htmx, limiter
from consult.models import Consultation, Contribution, ContributionStatus
from consult.moderation.notes import author_notes
from consult.taxonomy.services import list_dimensions, list_principles, list_themes
from consult.visibility import can_list_status, contribution_visible_to

bp = Blueprint("contributions", __name__)

_limit_writes = limiter.limit(lambda: current_app.config["RATE_LIMIT_WRITE"], methods=["POST"])


def _consultation_or_404(slug: str) -> Consultation:
    return get_consultation(session=get_session(), slug=slug) or abort(404)


def _contribution_or_404(contribution_id: int) -> tuple[Contribution, Consultation]:
    session = get_session()
    contribution = services.get_contribution(session=session, contribution_id=contribution_id)
    if not contribution_visible_to(g.user, contribution):
        abort(404)  # 404 rather than 403: do not reveal that an unpublished contribution exists
    return contribution, session.get(Consultation, contribution.consultation_id)


def _own_or_403(contribution_id: int) -> tuple[Contribution, Consultation]:
    contribution, consultation = _contribution_or_404(contribution_id)
    if contribution.author_id != g.user.id:
        abort(403)
    return contribution, consultation


def _taxonomy_cache() -> dict:
    """Themes, dimensions and principles for the filters and the form, read at most once a minute per process.

    They change only when an operator reloads config/taxonomy.yaml; three queries per list page were ~9 % of it.
    The rendered filter options live in the same cache, so a reload renders them again.
    """
    cache = current_app.extensions.setdefault("consult.taxonomy_cache", {})
    now = time.monotonic()
    if now - cache.get("at", -1e9) >= current_app.config.get("TAXONOMY_CACHE_SECONDS", 60):
        session = get_session()
        cache["value"] = {
            "themes": list_themes(session=session),
            "dimensions": list_dimensions(session=session),
            "principles": list_principles(session=session),
        }
        cache["by_id"] = listing.Taxonomy(
            themes={t.id: t for t in cache["value"]["themes"]},
            principles={p.id: p for p in cache["value"]["principles"]},
        )
        cache["options"] = {}
        cache["at"] = now
    return cache


def _taxonomy() -> dict:
    return _taxonomy_cache()["value"]


def _filter_options(filters: listing.ListFilters) -> dict[str, Markup]:
    """The <option>s of the sort, theme and principle filters, rendered once per language and selected value.

    Rendering them (40 options, a dozen translations) took about a tenth of a list page, and they are the same on
    every list page. Only known values are keys, so what a visitor types in the URL cannot grow the cache.
    """
    cache = _taxonomy_cache()
    taxonomy, rendered = cache["value"], cache["options"]
    theme = filters.theme if any(t.id == filters.theme for t in taxonomy["themes"]) else ""
    principle = filters.principle if any(p.id == filters.principle for p in taxonomy["principles"]) else ""
    key = (str(get_locale()), filters.sort, theme, principle)
    if key not in rendered:
        macro = functools.partial(get_template_attribute, "contributions/_filter_options.html")
        rendered[key] = {
            "sort": macro("sort_options")(filters.sort),
            "theme": macro("theme_options")(taxonomy["themes"], theme),
            "principle": macro("principle_options")(taxonomy["dimensions"], taxonomy["principles"], principle),
        }
    return rendered[key]


@bp.get("/consultations/<slug>/contributions")
def index(slug: str):
    consultation = _consultation_or_404(slug)
    filters = parse_filters(request.args)
    if not can_list_status(g.user, filters.status):
        abort(403)
    session = get_session()
    try:
        page = listing.list_contributions(
            session=session,
            consultation=consultation,
            filters=filters,
            after=request.args.get("after") or None,
            limit=current_app.config.get("CONTRIBUTIONS_PAGE_SIZE", 20),
            taxonomy=_taxonomy_cache()["by_id"],
        )
    except listing.BadCursor:
        abort(400)
    my_votes = listing.load_my_votes(
        session=session, user=g.user, contribution_ids=[item.contribution.id for item in page.items]
    )
    page_cards = cards.build_cards(
        page.items, my_votes=my_votes, query=page.query, readonly=consultation.status() != "open"
    )
    context = {
        "consultation": consultation,
        "filters": filters,
        "page": page,
        "cards_html": cards.render_cards(page_cards, first_page=not request.args.get("after")),
        "first_page": not request.args.get("after"),
        "statuses": list(ContributionStatus),
    }
    # The same URL serves the whole page and, to htmx (filters, "Voir plus"), only the results fragment.
    # A history restore (back button after hx-push-url) needs the whole page again.
    if htmx and not htmx.history_restore_request:
        response = current_app.make_response(render_template("contributions/_partial.html", **context))
        if not request.args.get("after"):
            # The filter form pushes its URL to the history: push the canonical one (no empty parameters).
            response.headers["HX-Push-Url"] = url_for("contributions.index", slug=slug, **filters.query_args())
    else:
        page = render_template("contributions/index.html", **context, filter_options=_filter_options(filters))
        response = current_app.make_response(page)
    response.vary.add("HX-Request")
    return response


def _submitted(form: ContributionForm) -> dict:
    """The form's values as the services take them."""
    return {
        "title": form.title.data or "",
        "body": form.body.data or "",
        "theme_id": form.theme.data or None,
        "principle_ids": form.principles.data or [],
        "redact_personal_data": bool(form.redact_personal_data.data),
    }


def _render_form(form: ContributionForm, errors: dict, consultation: Consultation, contribution: Contribution | None):
    """The submit or edit page, with the errors (422) and, when personal data was found, its masked preview."""
    page = render_template(
        "contributions/form.html",
        form=form,
        errors=errors,
        consultation=consultation,
        contribution=contribution,
        masked=_masked_preview(form, errors),
        **_taxonomy(),
    )
    return page, (422 if errors else 200)


def _masked_preview(form: ContributionForm, errors: dict) -> dict | None:
    """The title and body as they would be published with personal data masked, shown for the author to accept."""
    if "personal_data" not in errors:
        return None
    title, body = services.screen_personal_data(title=form.title.data or "", body=form.body.data or "", redact=True)
    return {"title": title, "body": body}


@bp.route("/consultations/<slug>/contribuer", methods=["GET", "POST"])
@login_required
@_limit_writes
def new(slug: str):
    consultation = _consultation_or_404(slug)
    services.ensure_open(consultation)
    form = ContributionForm()
    errors: dict = {}
    if form.validate_on_submit():
        session = get_session()
        try:
            contribution = services.submit_contribution(
                session=session,
                consultation=consultation,
                author=g.user,
                **_submitted(form),
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            session.commit()
            if contribution.status == ContributionStatus.PENDING:
                flash(
                    _(
                        "Merci ! Votre contribution est enregistrée ; elle sera publiée après relecture par "
                        "un modérateur."
                    ),
                    "success",
                )
            else:
                flash(_("Merci ! Votre contribution est publiée."), "success")
            return redirect(url_for("contributions.detail", contribution_id=contribution.id), 303)
    elif request.method == "POST":
        errors = {"__all__": _("Le formulaire a expiré : rechargez la page et renvoyez-le.")}
    return _render_form(form, errors, consultation, None)


@bp.get("/contributions/<int:contribution_id>")
def detail(contribution_id: int):
    contribution, consultation = _contribution_or_404(contribution_id)
    session = get_session()
    view = services.load_views(session=session, contributions=[contribution])[0]
    kept = session.get(Contribution, contribution.duplicate_of_id) if contribution.duplicate_of_id else None
    if not contribution_visible_to(g.user, kept):
        kept = None  # the kept one may have been withdrawn or hidden since: no title, no link
    my_vote = listing.load_my_votes(session=session, user=g.user, contribution_ids=[contribution.id]).get(
        contribution.id
    )
    return render_template(
        "contributions/detail.html",
        item=view,
        tags=cards.tags_for(view, numbered=True),
        contribution=contribution,
        consultation=consultation,
        kept=kept,
        my_vote=my_vote,
        is_author=g.user is not None and g.user.id == contribution.author_id,
        moderation_notes=author_notes(session=session, contribution=contribution)
        if g.user is not None and g.user.id == contribution.author_id
        else [],
    )


@bp.route("/contributions/<int:contribution_id>/modifier", methods=["GET", "POST"])
@login_required
@_limit_writes
def edit(contribution_id: int):
    contribution, consultation = _own_or_403(contribution_id)
    session = get_session()
    form = ContributionForm(
        data=None
        if request.method == "POST"
        else {
            "title": contribution.title,
            "body": contribution.body,
            "theme": contribution.theme_id or "",
            "principles": services.author_principle_ids(session=session, contribution=contribution),
        }
    )
    errors: dict = {}
    if form.validate_on_submit():
        try:
            services.update_contribution(
                session=session,
                contribution=contribution,
                consultation=consultation,
                **_submitted(form),
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            session.commit()
            flash(_("Votre contribution est modifiée."), "success")
            return redirect(url_for("contributions.detail", contribution_id=contribution.id), 303)
    else:
        if request.method == "POST":
            errors = {"__all__": _("Le formulaire a expiré : rechargez la page et renvoyez-le.")}
        # Refuse to show an edit form that could not be saved (closed consultation, no longer pending).
        services.ensure_editable(contribution=contribution, consultation=consultation)
    return _render_form(form, errors, consultation, contribution)


@bp.route("/contributions/<int:contribution_id>/retrait", methods=["GET", "POST"])
@login_required
@_limit_writes
def withdraw(contribution_id: int):
    contribution, consultation = _own_or_403(contribution_id)
    form = WithdrawForm()
    if request.method == "GET":
        # Withdrawal cannot be undone: a confirmation page, which works without JavaScript (no modal).
        services.ensure_withdrawable(contribution=contribution, consultation=consultation)
        return render_template(
            "contributions/withdraw.html", contribution=contribution, consultation=consultation, form=form
        )
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    services.withdraw_contribution(session=session, contribution=contribution, consultation=consultation)
    session.commit()
    flash(_("Votre contribution est retirée : elle n'apparaît plus dans les listes."), "success")
    return redirect(url_for("contributions.mine"), 303)


@bp.get("/mes-contributions")
@login_required
def mine():
    rows = services.list_user_contributions(session=get_session(), user=g.user)
    return render_template("contributions/mine.html", rows=rows)
