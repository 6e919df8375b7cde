"""Public read-only JSON API, version 1: thin GET views over consult.api.services."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException, NotFound

from consult import errors as html_errors
from consult.api import serialize, services
from consult.api.openapi import build_document
from consult.consultations import services as consultation_services
from consult.db import get_session
from consult.errors import ValidationFailed
from consult.extensions import limiter
from consult.taxonomy.services import list_dimensions, list_principles, list_themes

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
# One shared budget for the whole blueprint, read from the config at request time.
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")(bp)

MESSAGES = {
    400: "Paramètres de requête invalides.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée : cette API est en lecture seule (GET).",
    413: "Requête trop volumineuse.",
    414: "Adresse trop longue.",
    429: "Trop de requêtes : patientez une minute avant de réessayer.",
    431: "En-têtes de requête trop volumineux.",
    500: "Erreur interne du service.",
    503: "Service momentanément indisponible : réessayez après le délai de l'en-tête Retry-After.",
}


@bp.get("/consultations")
def consultations():
    items = services.list_consultations(session=get_session())
    return jsonify(data=[serialize.consultation_summary(c) for c in items])


@bp.get("/consultations/<slug>")
def consultation(slug: str):
    session = get_session()
    found = consultation_services.get_consultation(session=session, slug=slug) or _not_found(
        "Consultation introuvable."
    )
    counts = services.count_consultation(session=session, consultation=found)
    phases = consultation_services.list_phases(session=session, consultation=found)
    return jsonify(serialize.consultation_detail(found, counts, phases))


@bp.get("/consultations/<slug>/contributions")
def contributions(slug: str):
    session = get_session()
    found = consultation_services.get_consultation(session=session, slug=slug) or _not_found(
        "Consultation introuvable."
    )
    filters = _contribution_filters()
    page = services.list_contributions(session=session, consultation=found, filters=filters)
    # Only known filters go into the next link: a stray "slug" or "_external" must not reach it.
    params = {k: request.args[k] for k in ("theme", "principle", "q") if request.args.get(k)}
    params |= {"sort": filters.sort, "limit": filters.limit}
    next_url = None
    if page.next_cursor:
        next_url = url_for("api.contributions", slug=slug, **params, cursor=page.next_cursor, _external=True)
    return jsonify(
        data=[serialize.contribution(row) for row in page.items],
        links={"self": request.url, "next": next_url},
        meta={"sort": filters.sort, "limit": filters.limit, "count": len(page.items)},
    )


@bp.get("/consultations/<slug>/analysis")
def consultation_analysis(slug: str):
    session = get_session()
    found = consultation_services.get_consultation(session=session, slug=slug) or _not_found(
        "Consultation introuvable."
    )
    results = services.consultation_analysis(session=session, consultation=found)
    if results is None:
        _not_found("Aucune analyse terminée pour cette consultation.")
    return jsonify(serialize.analysis(results))


@bp.get("/contributions/<int:contribution_id>")
def contribution(contribution_id: int):
    row = services.get_contribution(session=get_session(), contribution_id=contribution_id)
    return jsonify(serialize.contribution(row or _not_found("Contribution introuvable.")))


@bp.get("/contributions/<int:contribution_id>/votes")
def contribution_votes(contribution_id: int):
    row = services.get_contribution(session=get_session(), contribution_id=contribution_id)
    return jsonify(serialize.vote_counts((row or _not_found("Contribution introuvable.")).contribution))


@bp.get("/taxonomy")
def taxonomy():
    session = get_session()
    return jsonify(
        serialize.taxonomy(
            list_dimensions(session=session),
            list_principles(session=session),
            list_themes(session=session),
        )
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_document(server_url=url_for("api.consultations", _external=True).rsplit("/", 1)[0]))


def _contribution_filters() -> services.ContributionFilters:
    args = request.args
    raw_limit = args.get("limit", str(services.DEFAULT_LIMIT))
    try:
        limit = int(raw_limit)
    except ValueError:
        raise ValidationFailed(
            {"limit": f"Le paramètre limit doit être un entier entre 1 et {services.MAX_LIMIT}."}
        ) from None
    return services.ContributionFilters(
        theme=args.get("theme") or None,
        principle=args.get("principle") or None,
        q=args.get("q") or None,
        # Ranked by relevance when searching, newest first otherwise (as on the HTML list).
        sort=args.get("sort") or (services.RELEVANCE if args.get("q") else "recent"),
        limit=limit,
        cursor=args.get("cursor") or None,
    )


def _not_found(message: str):
    raise NotFound(message)


def json_error(code: int, message: str, details: dict | None = None, headers: dict | None = None):
    body = {"code": code, "message": message}
    if details:
        body["details"] = {key: str(value) for key, value in details.items()}
    return jsonify(error=body), code, headers or {}


@bp.errorhandler(ValidationFailed)
def handle_validation(exc: ValidationFailed):
    return json_error(400, " ".join(str(m) for m in exc.errors.values()), exc.errors)


@bp.errorhandler(HTTPException)
def handle_http(exc: HTTPException):
    code = exc.code or 500
    # Our own NotFound carries a French message; werkzeug's default descriptions are English.
    if isinstance(exc, NotFound) and exc.description != NotFound.description:
        message = exc.description
    else:
        message = MESSAGES.get(code) or MESSAGES[500 if code >= 500 else 400]
    headers = {"Retry-After": "60"} if code == 429 else {}
    if code == 503:
        headers["Retry-After"] = str(html_errors.RETRY_AFTER_SECONDS)
    if code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return json_error(code, message, headers=headers)


# Errors raised before a blueprint is known (unknown URL, wrong method, request too large) or not HTTP at all
# (a bug: 500) are answered in JSON under /api/ too.
html_errors.answer_errors_in_json(PREFIX, handle_http)


def _consultation_or_404(session, slug: str):
    found = consultation_services.get_consultation(session=session, slug=slug)
    return found or _not_found("Consultation introuvable.")
