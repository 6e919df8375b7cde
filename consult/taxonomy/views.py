"""Public pages of the reference taxonomy: themes, and the 16 principles grouped by their 4 dimensions."""

from flask import Blueprint, render_template

from consult.db import get_session
from consult.taxonomy.services import list_dimensions, list_principles, list_themes

bp = Blueprint("taxonomy", __name__, url_prefix="/taxonomie")


@bp.get("/")
def index():
    session = get_session()
    return render_template(
        "taxonomy/index.html",
        themes=list_themes(session=session),
        dimensions=list_dimensions(session=session),
        principles=list_principles(session=session),
    )
