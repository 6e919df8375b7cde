"""Similar contributions while a citizen writes (htmx), so they vote on an existing one instead of duplicating."""

from flask import Blueprint, abort, current_app, render_template, request

from consult.analysis import services
from consult.consultations.services import get_consultation
from consult.db import get_session
from consult.extensions import htmx, limiter

bp = Blueprint("analysis", __name__)


@bp.get("/consultations/<slug>/similaires")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_SIMILAR"])
def similar(slug: str):
    session = get_session()
    consultation = get_consultation(session=session, slug=slug) or abort(404)
    text = f"{request.args.get('title', '')}\n{request.args.get('body', '')}".strip()
    hits = services.similar_contributions(
        session=session, consultation_id=consultation.id, text=text, exclude_id=request.args.get("exclude", type=int)
    )
    template = "analysis/_similar.html" if htmx else "analysis/similar.html"
    return render_template(template, consultation=consultation, hits=hits, text=text)
