"""Analysts' pages for open data: import contributions (check first, then import), download the open data."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
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
from consult.extensions import csrf, htmx
from consult.models import ImportFormat, Role
from consult.opendata import tasks
from consult.opendata.exports import OpenDataExport, zip_stream
from consult.opendata.imports import recent_batches
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


def _render(consultation, *, values=None, errors=None, status=200):
    return (
        render_template(
            "opendata/import.html",
            consultation=consultation,
            formats=list(ImportFormat),
            values=values or {"format": ImportFormat.CSV},
            errors=errors or {},
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
    """Start the check of an uploaded file (a background job); the task's page follows it."""
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    consultation = _consultation(slug)
    values = _form_values()
    errors = {}
    if values["format"] not in set(ImportFormat):
        errors["format"] = _("Choisissez un format.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors["file"] = _("Choisissez un fichier.")
    if errors:
        return _render(consultation, values=values, errors=errors, status=422)
    session = get_session()
    task = tasks.create_task(
        session=session,
        consultation=consultation,
        user=g.user,
        name=Path(upload.filename).name,
        data=upload.read(),
        fmt=values["format"],
        columns=_columns(values),
    )
    session.commit()
    tasks.start(task)
    return redirect(url_for("opendata.import_task", slug=slug, token=task.token), 303)


@bp.get("/consultations/<slug>/import/<token>")
@role_required(Role.ANALYST)
def import_task(slug: str, token: str):
    """A check or an import: its progress (htmx polls this URL), then its report."""
    session = get_session()
    consultation = _consultation(slug)
    task = tasks.get_task(session=session, consultation=consultation, token=token, user=g.user) or abort(404)
    session.commit()  # a task found dead is recorded as failed
    template = "opendata/_task.html" if htmx else "opendata/task.html"
    return render_template(template, consultation=consultation, task=task, report=task.report or {})


@bp.post("/consultations/<slug>/import/<token>")
@role_required(Role.ANALYST)
def import_confirm(slug: str, token: str):
    """Import the file that was checked without a problem."""
    session = get_session()
    consultation = _consultation(slug)
    task = tasks.get_task(session=session, consultation=consultation, token=token, user=g.user) or abort(404)
    tasks.confirm_import(session=session, task=task)
    session.commit()
    tasks.start(task)
    return redirect(url_for("opendata.import_task", slug=slug, token=token), 303)


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
