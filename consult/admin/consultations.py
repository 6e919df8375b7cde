"""Administration of consultations (admins only): list, create, edit with phases."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consult.auth.access import role_required
from consult.consultations import services
from consult.consultations.forms import (
    ConsultationForm,
    consultation_fields,
    local_input,
    parse_phases,
)
from consult.db import get_session
from consult.errors import ValidationFailed
from consult.extensions import limiter
from consult.models import Role

bp = Blueprint("admin_consultations", __name__, url_prefix="/admin/consultations")

_limit_writes = limiter.limit(lambda: current_app.config["RATE_LIMIT_WRITE"], methods=["POST"])


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    groups = services.list_consultations(session=get_session())
    return render_template("admin/consultations.html", groups=groups)


@bp.route("/nouvelle", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@_limit_writes
def create():
    form = ConsultationForm()
    errors: dict = {}
    phase_rows: list[dict] = []
    if form.validate_on_submit():
        session = get_session()
        phases, phase_rows = parse_phases(request.form)
        try:
            consultation = services.create_consultation(
                session=session, **consultation_fields(form), phases=phases, validate=True
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            session.commit()
            flash(_("Consultation « %(title)s » créée.", title=consultation.title), "success")
            return redirect(url_for("consultations.detail", slug=consultation.slug), 303)
    elif request.method == "POST":
        errors = {"__all__": _("Le formulaire a expiré : rechargez la page et renvoyez-le.")}
    return render_template(
        "admin/consultation_form.html", form=form, errors=errors, consultation=None, phase_rows=phase_rows
    ), (422 if errors else 200)


@bp.route("/<slug>/modifier", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@_limit_writes
def edit(slug: str):
    session = get_session()
    consultation = services.get_consultation(session=session, slug=slug) or abort(404)
    errors: dict = {}
    if request.method == "POST":
        form = ConsultationForm()
        phases, phase_rows = parse_phases(request.form)
        if form.validate_on_submit():
            try:
                services.update_consultation(
                    session=session, consultation=consultation, fields=consultation_fields(form), phases=phases
                )
            except ValidationFailed as exc:
                errors = exc.errors
            else:
                session.commit()
                flash(_("Consultation « %(title)s » enregistrée.", title=consultation.title), "success")
                return redirect(url_for("consultations.detail", slug=consultation.slug), 303)
        else:
            errors = {"__all__": _("Le formulaire a expiré : rechargez la page et renvoyez-le.")}
    else:
        form = ConsultationForm(
            data={
                "slug": consultation.slug,
                "title": consultation.title,
                "summary": consultation.summary,
                "question": consultation.question,
                "description": consultation.description,
                "opens_at": local_input(consultation.opens_at),
                "closes_at": local_input(consultation.closes_at),
                "moderation": consultation.moderation,
            }
        )
        phase_rows = [
            {
                "title": p.title,
                "description": p.description,
                "starts": local_input(p.starts_at),
                "ends": local_input(p.ends_at),
            }
            for p in services.list_phases(session=session, consultation=consultation)
        ]
    return render_template(
        "admin/consultation_form.html", form=form, errors=errors, consultation=consultation, phase_rows=phase_rows
    ), (422 if errors else 200)
