"""Similar contributions while a citizen writes; analysis runs started and followed by moderators and analysts."""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consult.analysis import runs, services
from consult.analysis.jobs import run_analysis
from consult.analysis.results import latest_run, load_run_results
from consult.auth.access import role_required
from consult.consultations.services import get_consultation
from consult.contributions.services import BODY_MAX, TITLE_MAX
from consult.db import get_session
from consult.errors import Conflict, ValidationFailed
from consult.extensions import htmx, limiter
from consult.jobs import enqueue
from consult.models import AnalysisRun, Role
from consult.outages import QUEUE_OUTAGES

bp = Blueprint("analysis", __name__)

STAFF = (Role.MODERATOR, Role.ANALYST)


# POST, not GET: the draft may hold health data the author will mask later, and a query string ends up in
# proxy and access logs (and long texts overflow URL limits).
@bp.post("/consultations/<slug>/similaires")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_SIMILAR"])
def similar(slug: str):
    session = get_session()
    consultation = get_consultation(session=session, slug=slug) or abort(404)
    title = request.form.get("title", "")[:TITLE_MAX]
    body = request.form.get("body", "")[:BODY_MAX]
    text = f"{title}\n{body}".strip()
    hits = services.similar_contributions(
        session=session, consultation_id=consultation.id, text=text, exclude_id=request.args.get("exclude", type=int)
    )
    template = "analysis/_similar.html" if htmx else "analysis/similar.html"
    return render_template(template, consultation=consultation, hits=hits, text=text)


def _mark_stale(session) -> None:
    if runs.mark_stale_runs(
        session=session,
        stale_after=current_app.config["ANALYSIS_STALE_SECONDS"],
        queued_timeout=current_app.config["ANALYSIS_QUEUED_TIMEOUT"],
    ):
        session.commit()


@bp.get("/consultations/<slug>/analyses")
@role_required(*STAFF)
def run_list(slug: str, errors: dict | None = None, n_themes: str = "auto", status: int = 200):
    session = get_session()
    consultation = get_consultation(session=session, slug=slug) or abort(404)
    _mark_stale(session)
    latest = latest_run(session=session, consultation_id=consultation.id)
    return render_template(
        "analysis/runs.html",
        consultation=consultation,
        runs=runs.list_runs(session=session, consultation_id=consultation.id),
        active=runs.active_run(session=session, consultation_id=consultation.id),
        latest=latest,
        results=load_run_results(session=session, run=latest) if latest else None,
        errors=errors or {},
        n_themes=n_themes,
    ), status


def _enqueue(session, run: AnalysisRun):
    session.commit()  # the worker must see the queued run
    try:
        job = enqueue(run_analysis, run.id)
    except QUEUE_OUTAGES:
        # Not left "queued" for an hour, blocking a retry: failed at once, then the 503 retry page.
        runs.fail_run(session=session, run_id=run.id, error=runs.QUEUE_DOWN_ERROR)
        session.commit()
        raise
    runs.record_job(session=session, run=run, job_id=job.id, backend=job.backend)
    session.commit()


@bp.post("/consultations/<slug>/analyses")
@role_required(*STAFF)
def start(slug: str):
    session = get_session()
    consultation = get_consultation(session=session, slug=slug) or abort(404)
    _mark_stale(session)
    n_themes = request.form.get("n_themes", "auto")
    try:
        parameters = runs.parse_parameters(n_themes=n_themes)
        run = runs.start_run(session=session, consultation=consultation, user=g.user, parameters=parameters)
    except ValidationFailed as exc:
        session.rollback()
        return run_list(slug, errors=exc.errors, n_themes=n_themes, status=422)
    except Conflict as exc:
        session.rollback()
        flash(str(exc), "warning")
        return redirect(url_for("analysis.run_list", slug=slug), 303)
    _enqueue(session, run)
    flash(_("Analyse n° %(id)d lancée : sa progression s'affiche ci-dessous.", id=run.id), "success")
    return redirect(url_for("analysis.run_detail", slug=slug, run_id=run.id), 303)


def _run_or_404(session, slug: str, run_id: int):
    consultation = get_consultation(session=session, slug=slug) or abort(404)
    run = session.get(AnalysisRun, run_id)
    if run is None or run.consultation_id != consultation.id:
        abort(404)
    return consultation, run


@bp.get("/consultations/<slug>/analyses/<int:run_id>")
@role_required(*STAFF)
def run_detail(slug: str, run_id: int):
    session = get_session()
    _mark_stale(session)
    consultation, run = _run_or_404(session, slug, run_id)
    template = "analysis/_run.html" if htmx else "analysis/run.html"
    return render_template(template, consultation=consultation, run=run)


@bp.post("/consultations/<slug>/analyses/<int:run_id>/relancer")
@role_required(*STAFF)
def retry(slug: str, run_id: int):
    session = get_session()
    _mark_stale(session)
    consultation, failed = _run_or_404(session, slug, run_id)
    try:
        run = runs.start_run(session=session, consultation=consultation, user=g.user, retry_of=failed)
    except Conflict as exc:
        session.rollback()
        flash(str(exc), "warning")
        return redirect(url_for("analysis.run_detail", slug=slug, run_id=run_id), 303)
    _enqueue(session, run)
    flash(_("Analyse relancée (n° %(id)d).", id=run.id), "success")
    return redirect(url_for("analysis.run_detail", slug=slug, run_id=run.id), 303)


@bp.get("/analyse/")
@role_required(*STAFF)
def index():
    session = get_session()
    _mark_stale(session)
    return render_template("analysis/index.html", rows=runs.consultations_with_runs(session=session))


@bp.get("/analyse/apprentissage")
@role_required(*STAFF)
def learning_page():
    from consult.analysis import learning

    session = get_session()
    return render_template(
        "analysis/learning.html",
        models=learning.latest_models(session=session),
        counts=learning.count_human_labels(session=session),
        min_labels=learning.MIN_LABELS,
        can_retrain=g.user.has_role(Role.MODERATOR),
    )


@bp.post("/analyse/apprentissage")
@role_required(Role.MODERATOR)
def retrain():
    from consult.analysis import learning
    from consult.analysis.jobs import retrain_label_models

    counts = learning.count_human_labels(session=get_session())
    if max(counts.values()) < learning.MIN_LABELS:
        flash(
            _(
                "Pas assez d'étiquettes posées par des personnes pour apprendre : il en faut au moins %(n)d.",
                n=learning.MIN_LABELS,
            ),
            "error",
        )
        return redirect(url_for("analysis.learning_page"), 303)
    enqueue(retrain_label_models, g.user.id)
    flash(
        _(
            "Entraînement lancé en arrière-plan : les nouveaux scores s'afficheront ici, et les étiquettes "
            "automatiques des contributions en attente seront mises à jour."
        ),
        "success",
    )
    return redirect(url_for("analysis.learning_page"), 303)
