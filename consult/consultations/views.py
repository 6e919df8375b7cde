"""Consultation list and page."""

from flask import Blueprint, abort, render_template

from consult.consultations import services
from consult.db import get_session
from consult.markdown import render_markdown

bp = Blueprint("consultations", __name__, url_prefix="/consultations")


@bp.get("/")
def index():
    groups = services.list_consultations(session=get_session())
    return render_template("consultations/index.html", groups=groups)


@bp.get("/<slug>")
def detail(slug: str):
    consultation = services.get_consultation(session=get_session(), slug=slug) or abort(404)
    return render_template(
        "consultations/detail.html",
        consultation=consultation,
        description_html=render_markdown(consultation.description),
    )
