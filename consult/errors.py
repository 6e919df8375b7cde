"""Domain errors raised by services, and the DSFR error pages."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from consult.i18n import lazy_gettext as _l


class ValidationFailed(Exception):
    """Input refused by a service; `errors` maps a form field (or "__all__") to a French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


class Conflict(Exception):
    """The action conflicts with the current state (e.g. consultation closed); the message says why."""


ERROR_TEXTS = {
    400: (
        _l("Requête invalide"),
        _l(
            "La requête n'a pas pu être comprise. Si vous avez envoyé un formulaire, la page a peut-être expiré : "
            "rechargez-la et réessayez."
        ),
    ),
    403: (_l("Accès refusé"), _l("Vous n'avez pas les droits nécessaires pour accéder à cette page.")),
    404: (
        _l("Page non trouvée"),
        _l("La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée."),
    ),
    405: (_l("Méthode non autorisée"), _l("Cette adresse ne permet pas cette action.")),
    409: (_l("Action impossible"), _l("Cette action n'est pas possible dans l'état actuel.")),
    413: (_l("Envoi trop volumineux"), _l("Les données envoyées dépassent la taille autorisée.")),
    429: (
        _l("Trop de requêtes"),
        _l("Vous avez effectué trop de requêtes en peu de temps. Patientez quelques minutes puis réessayez."),
    ),
    500: (_l("Erreur inattendue"), _l("Désolé, le service rencontre un problème. Nous travaillons à le résoudre.")),
    503: (
        _l("Service momentanément indisponible"),
        _l(
            "Le service est momentanément indisponible. Réessayez dans quelques instants. Si vous veniez d'envoyer "
            "un formulaire, il n'a probablement pas été enregistré : revenez en arrière et renvoyez-le."
        ),
    ),
}
# Seconds after which a client may retry a 503 (a database restart or a failover takes about that long).
RETRY_AFTER_SECONDS = 30


def render_error(code: int, detail: str | None = None):
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    other_language = _in_the_other_language(text) if code == 503 else None
    page = render_template(
        "errors/error.html", code=code, title=title, text=text, detail=detail, other_language=other_language
    )
    return page, code


def _in_the_other_language(text) -> dict:
    """The message in the other interface language, for a page whose language switch may be out of reach."""
    from flask_babel import force_locale, get_locale

    code = "en" if str(get_locale()) == "fr" else "fr"
    with force_locale(code):
        return {"code": code, "text": str(text)}


# URL prefixes whose errors are answered in JSON (the API registers its own), whatever raised them: routing,
# request size, rate limits, unexpected exceptions.
JSON_ERROR_RENDERERS: dict[str, Callable[[HTTPException], object]] = {}


def answer_errors_in_json(prefix: str, renderer: Callable[[HTTPException], object]) -> None:
    JSON_ERROR_RENDERERS[prefix.rstrip("/")] = renderer


def _json_renderer() -> Callable[[HTTPException], object] | None:
    path = request.path
    for prefix, renderer in JSON_ERROR_RENDERERS.items():
        if path == prefix or path.startswith(prefix + "/"):
            return renderer
    return None


def handle_http_exception(exc: HTTPException):
    renderer = _json_renderer()
    if renderer is not None:
        return renderer(exc)
    code = exc.code or 500
    detail = None
    if code == 400 and exc.description and "CSRF" in str(exc.description):
        detail = _l(
            "Le jeton de sécurité du formulaire a expiré ou manque. Rechargez la page puis renvoyez le formulaire."
        )
    body, status = render_error(code if code in ERROR_TEXTS else 500, detail)
    headers = {}
    if code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if code == 429:
        headers["Retry-After"] = "60"
    if code == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        headers["Cache-Control"] = "no-store"
        if request.headers.get("HX-Request"):
            headers["HX-Refresh"] = "true"  # htmx swaps no 5xx body: reload the page, which shows this one
    return body, status, headers


def handle_conflict(exc: Conflict):
    return render_error(409, str(exc))


def handle_unexpected(exc: Exception):
    from flask import current_app

    current_app.logger.exception("Unhandled error")
    renderer = _json_renderer()
    if renderer is not None:
        return renderer(InternalServerError())
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Conflict, handle_conflict)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, handle_unexpected)
