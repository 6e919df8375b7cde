"""Download a synthesis (analysts and admins): latest successful analysis by default, whole or one theme."""

from __future__ import annotations

from flask import Blueprint, abort, request
from sqlmodel import select
from werkzeug.wrappers import Response

from consult.analysis.results import latest_run
from consult.auth.access import role_required
from consult.consultations.services import get_consultation
from consult.db import get_session
from consult.errors import Conflict
from consult.i18n import lazy_gettext as _l
from consult.models import AnalysisRun, Role, RunStatus
from consult.reports.renderers import FORMATS, filename, render
from consult.reports.synthesis import NoResults, build_synthesis

bp = Blueprint("reports", __name__)


@bp.get("/consultations/<slug>/synthese.<fmt>")
@role_required(Role.ANALYST)
def download(slug: str, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    session = get_session()
    consultation = get_consultation(session=session, slug=slug) or abort(404)
    run_id = request.args.get("analyse", type=int)
    if run_id is not None:
        run = session.exec(
            select(AnalysisRun).where(
                AnalysisRun.id == run_id,
                AnalysisRun.consultation_id == consultation.id,
                AnalysisRun.status == RunStatus.SUCCEEDED,
            )
        ).first() or abort(404)
    else:
        run = latest_run(session=session, consultation_id=consultation.id)
        if run is None:
            raise Conflict(_l("Aucune analyse de cette consultation n'est terminée : lancez-en une avant la synthèse."))
    try:
        synthesis = build_synthesis(session=session, run=run, theme_key=request.args.get("theme") or None)
    except NoResults:
        abort(404)
    return Response(
        render(synthesis, fmt),
        mimetype=FORMATS[fmt].media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename(synthesis, fmt)}"'},
    )
