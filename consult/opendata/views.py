"""Analysts' pages for open data: import contributions (check first, then import), download the open data."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from consult.auth.access import role_required
from consult.consultations.services import get_consultation
from consult.db import get_session
from consult.extensions import csrf
from consult.models import ImportFormat, Role
from consult.opendata import uploads
from consult.opendata.exports import OpenDataExport, zip_stream
from consult.opendata.imports import import_contributions, recent_batches
from consult.opendata.sources import Columns
from consult.publication import public_links

bp = Blueprint("opendata", __name__)

COLUMN_FIELDS = ("text", "title", "id", "author", "theme", "date")


def _consultation(slug: str):
    return get_consultation(session=get_session(), slug=slug) or abort(404)


def _form_values() -> dict[str, str]:
    values = {"format": request.form.get("format", "")}
    for name in COLUMN_FIELDS:
        values[f"{name}_column"] = request.form.get(f"{name}_column", "").strip()[:100]
    return values


def _columns(values: dict[str, str]) -> Columns:
    return Columns(**{name: values.get(f"{name}_column") or None for name in COLUMN_FIELDS})


def _render(consultation, *, values=None, errors=None, report=None, token=None, status=200):
    return (
        render_template(
            "opendata/import.html",
            consultation=consultation,
            formats=list(ImportFormat),
            values=values or {"format": ImportFormat.CSV},
            errors=errors or {},
            report=report,
            token=token,
            batches=recent_batches(session=get_session(), consultation=consultation),
            max_megabytes=current_app.config["IMPORT_MAX_BYTES"] // 1_000_000,
        ),
        status,
    )


@bp.get("/consultations/<slug>/import")
@role_required(Role.ANALYST)
def import_form(slug: str):
    return _render(_consultation(slug))


@bp.post("/consultations/<slug>/import")
@csrf.exempt  # checked below, once the upload limit of this page is set
@role_required(Role.ANALYST)
def import_submit(slug: str):
    """Check an uploaded file (nothing written), or import the file checked just before."""
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    consultation = _consultation(slug)
    values = _form_values()
    if values["format"] not in set(ImportFormat):
        return _render(consultation, values=values, errors={"format": _("Choisissez un format.")}, status=422)
    token = request.form.get("token", "")
    if token:
        files = uploads.load(token, owner=g.user.id)
        if files is None:
            return _render(
                consultation,
                values=values,
                errors={"file": _("Le fichier vérifié n'est plus disponible : envoyez-le de nouveau.")},
                status=422,
            )
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return _render(consultation, values=values, errors={"file": _("Choisissez un fichier.")}, status=422)
        token, files = uploads.save(upload.filename, upload.read(), owner=g.user.id)
    session = get_session()
    dry_run = request.form.get("action") != "import"
    report = import_contributions(
        session=session,
        consultation=consultation,
        files=files,
        fmt=values["format"],
        columns=_columns(values),
        user=g.user,
        dry_run=dry_run,
    )
    if dry_run or not report.ok:
        session.rollback()
        return _render(consultation, values=values, report=report, token=token, status=200 if report.ok else 422)
    session.commit()
    uploads.discard(token)
    flash(
        _(
            "Import n° %(id)d : %(rows)d contribution(s) et %(votes)d vote(s) importés.",
            id=report.batch.id,
            rows=report.rows,
            votes=report.votes,
        ),
        "success",
    )
    return redirect(url_for("opendata.import_form", slug=slug), 303)


@bp.get("/consultations/<slug>/donnees-ouvertes.zip")
@role_required(Role.ANALYST)
def export_zip(slug: str):
    """The consultation's open data as a zip archive, streamed as it is written."""
    consultation = _consultation(slug)
    export = OpenDataExport(
        session=get_session(),
        consultation=consultation,
        links=public_links(),
        matrix_max_cells=current_app.config["OPENDATA_MATRIX_MAX_CELLS"],
    )
    folder = f"{consultation.slug}-donnees-ouvertes"
    return Response(
        stream_with_context(zip_stream(export, folder)),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{folder}.zip"'},
    )
