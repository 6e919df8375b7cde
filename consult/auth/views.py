"""Sign-up, login, logout and password change pages."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consult.auth import services
from consult.auth.access import login_required, login_user, logout_user, safe_next
from consult.auth.forms import LoginForm, PasswordChangeForm, SignupForm
from consult.config import DEVELOPMENT_ENVS
from consult.db import get_session
from consult.errors import ValidationFailed
from consult.extensions import limiter

bp = Blueprint("auth", __name__)


def _limit(name: str):
    return limiter.limit(lambda: current_app.config[name], methods=["POST"])


@bp.route("/inscription", methods=["GET", "POST"])
@_limit("RATE_LIMIT_SIGNUP")
def signup():
    form = SignupForm()
    errors: dict = {}
    if form.validate_on_submit():
        session = get_session()
        try:
            user = services.register_user(
                session=session,
                email=form.email.data or "",
                pseudonym=form.pseudonym.data or "",
                password=form.password.data or "",
                consent=bool(form.consent.data),
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            session.commit()
            login_user(user)
            flash(_("Bienvenue %(name)s, votre compte est créé.", name=user.pseudonym), "success")
            return redirect(url_for("pages.index"))
    status = 422 if errors else 200
    return render_template("auth/signup.html", form=form, errors=errors), status


@bp.route("/connexion", methods=["GET", "POST"])
@_limit("RATE_LIMIT_LOGIN")
def login():
    form = LoginForm(next=request.args.get("next", ""))
    errors: dict = {}
    if form.validate_on_submit():
        session = get_session()
        user = services.authenticate(
            session=session,
            email=form.email.data or "",
            password=form.password.data or "",
            refuse_demo=current_app.config["ENV"] not in DEVELOPMENT_ENVS,
        )
        if user is None:
            errors["__all__"] = _("Adresse électronique ou mot de passe incorrect.")
        else:
            session.commit()
            login_user(user)
            flash(_("Vous êtes connecté."), "success")
            return redirect(safe_next(form.next.data) or url_for("pages.index"))
    status = 422 if errors else 200
    return render_template("auth/login.html", form=form, errors=errors), status


@bp.post("/deconnexion")
def logout():
    if g.user is not None:
        # The cookie is signed, not stored: ending the session means making every copy of it invalid.
        session = get_session()
        services.end_sessions(session=session, user=g.user)
        session.commit()
    logout_user()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("pages.index"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
@_limit("RATE_LIMIT_WRITE")
def change_password():
    form = PasswordChangeForm()
    errors: dict = {}
    if form.validate_on_submit():
        session = get_session()
        try:
            services.change_password(
                session=session,
                user=g.user,
                current=form.current_password.data or "",
                new=form.new_password.data or "",
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            session.commit()
            login_user(g.user)  # keep this session valid after the version bump
            flash(_("Votre mot de passe a été modifié."), "success")
            return redirect(url_for("account.index"))
    status = 422 if errors else 200
    return render_template("auth/password.html", form=form, errors=errors), status
