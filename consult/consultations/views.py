"""Consultation list and page (context, question, phases, live counts, call to action)."""

import time

from flask import Blueprint, abort, current_app, g, render_template

from consult.consultations import services
from consult.contributions import cards, listing
from consult.db import get_session
from consult.markdown import render_markdown
from consult.models import Consultation

bp = Blueprint("consultations", __name__, url_prefix="/consultations")

PREVIEW_SIZE = 3


@bp.get("/")
def index():
    groups = services.list_consultations(session=get_session())
    return render_template("consultations/index.html", groups=groups)


@bp.get("/<slug>")
def detail(slug: str):
    session = get_session()
    consultation = services.get_consultation(session=session, slug=slug) or abort(404)
    latest = listing.list_contributions(
        session=session, consultation=consultation, filters=listing.ListFilters(), limit=PREVIEW_SIZE
    )
    return render_template(
        "consultations/detail.html",
        consultation=consultation,
        description_html=render_markdown(consultation.description),
        phases=services.list_phases(session=session, consultation=consultation),
        counts=_cached_counts(consultation),
        latest=cards.build_cards(
            latest.items,
            my_votes=listing.load_my_votes(
                session=session, user=g.user, contribution_ids=[item.contribution.id for item in latest.items]
            ),
            readonly=consultation.status() != "open",
        ),
    )


def _cached_counts(consultation: Consultation) -> services.ConsultationCounts:
    # The participant count scans votes and comments: cache it per process for a few seconds, so a busy
    # consultation page costs one such query per COUNTS_CACHE_SECONDS instead of one per view.
    max_age = current_app.config.get("COUNTS_CACHE_SECONDS", 30)
    cache = current_app.extensions.setdefault("consult.counts_cache", {})
    hit = cache.get(consultation.id)
    now = time.monotonic()
    if hit is None or now - hit[0] >= max_age:
        hit = cache[consultation.id] = (
            now,
            services.count_participation(session=get_session(), consultation=consultation),
        )
    return hit[1]
