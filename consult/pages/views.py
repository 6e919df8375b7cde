"""Home page, legal pages (privacy notice, accessibility, legal notice) and the language switch."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from consult.auth.access import safe_next
from consult.consultations import services as consultations
from consult.db import get_session

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    groups = consultations.list_consultations(session=get_session())
    return render_template("pages/index.html", groups=groups)


@bp.get("/confidentialite")
def privacy():
    return render_template("pages/privacy.html")


@bp.get("/accessibilite")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.get("/contact")
def contact():
    return render_template("pages/contact.html")


@bp.get("/mentions-legales")
def legal():
    return render_template("pages/legal.html")


@bp.get("/langue/<lang>")
def set_language(lang: str):
    """Remember the chosen language in the (strictly necessary) session cookie and go back."""
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.args.get("next")) or url_for("pages.index"))
