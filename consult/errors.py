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
}


def render_error(code: int, detail: str | None = None):
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, text=text, detail=detail), code


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
