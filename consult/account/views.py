"""The user's account: overview, data download, deletion."""

import json

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import PasswordField

from consult.account import (
    erasure,  # noqa: F401  (importing it registers its purge with consult.retention)
    services,
)
from consult.auth.access import login_required, logout_user
from consult.db import get_session
from consult.errors import ValidationFailed
from consult.extensions import limiter
from consult.moderation.notices import decisions_for_author

bp = Blueprint("account", __name__, url_prefix="/compte")


class DeleteForm(FlaskForm):
    password = PasswordField()


@bp.get("/")
@login_required
def index():
    return _account_page(DeleteForm(), {})


def _account_page(form: DeleteForm, errors: dict):
    decisions = decisions_for_author(session=get_session(), user=g.user)
    return render_template("account/index.html", delete_form=form, errors=errors, decisions=decisions)


@bp.get("/mes-donnees.json")
@login_required
def my_data():
    data = services.export_user_data(session=get_session(), user=g.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="mes-donnees-consultation.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/suppression")
@login_required
@limiter.limit(lambda: current_app.config["RATE_LIMIT_LOGIN"], methods=["POST"])  # it checks a password
def delete():
    form = DeleteForm()
    errors: dict = {}
    if form.validate_on_submit():
        session = get_session()
        try:
            services.delete_account(session=session, user=g.user, password=form.password.data or "")
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            session.commit()
            logout_user()
            flash(
                _("Votre compte a été supprimé. Ce que vous avez publié reste visible, sans lien avec vous."),
                "success",
            )
            return redirect(url_for("pages.index"))
    else:
        errors = {"__all__": _("Le formulaire a expiré, recommencez.")}
    return _account_page(form, errors), 422
