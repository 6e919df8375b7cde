"""The analyst dashboard (analysts and admins): charts and tables of the latest analysis, with filters."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from consult.auth.access import role_required
from consult.consultations.services import get_consultation, list_consultations
from consult.dashboard.services import STATUSES, build_dashboard, parse_filters
from consult.db import get_session
from consult.extensions import htmx
from consult.models import Role
from consult.reports.renderers import FORMATS

bp = Blueprint("dashboard", __name__)


def chart_labels() -> dict:
    """The chart texts in the page's language."""
    return {
        "participation": _("Contributions par jour de dépôt"),
        "participation_desc": _("Nombre de contributions sélectionnées déposées chaque jour."),
        "channels": _("Contributions par canal"),
        "channels_desc": _("Nombre et part des contributions sélectionnées selon leur canal d’arrivée."),
        "themes": _("Contributions par thème"),
        "themes_desc": _("Nombre et part des contributions sélectionnées dans chaque thème de l’analyse."),
        "agreement": _("Votes par thème"),
        "agreement_desc": _(
            "Part des votes d’accord, de désaccord et sans avis sur les contributions de chaque thème."
        ),
        "principles": _("Contributions par principe éthique"),
        "principles_desc": _("Nombre et part des contributions sélectionnées rattachées à chaque principe."),
        "matrix": _("Thèmes et principes éthiques"),
        "matrix_desc": _(
            "Nombre de contributions sélectionnées de chaque thème (lignes) rattachées à chaque principe."
        ),
        "opinions": _("Carte des opinions"),
        "opinions_desc": _(
            "Chaque point est un participant placé selon ses votes ; les couleurs sont les groupes d’opinion. "
            "La carte porte sur tous les votes, quels que soient les filtres."
        ),
        "day": _("Jour"),
        "contributions": _("Contributions"),
        "share": _("Part"),
        "channel": _("Canal"),
        "theme": _("Thème"),
        "principle": _("Principe"),
        "legend": (_("D’accord"), _("Pas d’accord"), _("Sans avis")),
        "group_headers": (_("Groupe"), _("Participants"), _("Part")),
        "channel_names": {"web": _("Site web"), "chat": _("Assistant"), "import": _("Import")},
    }


@bp.get("/tableau-de-bord/")
@role_required(Role.ANALYST)
def index():
    return render_template("dashboard/index.html", consultations=list_consultations(session=get_session()))


@bp.get("/consultations/<slug>/tableau-de-bord")
@role_required(Role.ANALYST)
def show(slug: str):
    session = get_session()
    consultation = get_consultation(session=session, slug=slug) or abort(404)
    filters, errors = parse_filters(request.args)
    board = build_dashboard(session=session, consultation=consultation, filters=filters, labels=chart_labels())
    board.errors = errors
    template = "dashboard/_results.html" if htmx and htmx.target == "dashboard-results" else "dashboard/show.html"
    return render_template(template, board=board, statuses=STATUSES, formats=FORMATS)
