"""Sign-up (confirmed by e-mail), login, logout, password change and reset pages."""

import hashlib

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consult.auth import services
from consult.auth.access import login_required, login_user, logout_user, safe_next
from consult.auth.forms import ConfirmForm, EmailForm, LoginForm, NewPasswordForm, PasswordChangeForm, SignupForm
from consult.auth.mails import rehearse_password_reset_mail, send_password_reset_mail, send_signup_mail
from consult.auth.tokens import read_token
from consult.config import DEVELOPMENT_ENVS
from consult.db import get_session
from consult.errors import ValidationFailed
from consult.extensions import limiter

bp = Blueprint("auth", __name__)


def _limit(name: str):
    return limiter.limit(lambda: current_app.config[name], methods=["POST"])


def _recipient_key() -> str:
    """Rate-limit key of a form that mails an address: the address (hashed), whoever asks."""
    address = services.normalize_email(request.form.get("email", ""))
    return "address:" + hashlib.sha256(address.encode()).hexdigest()[:32]


# Forms that send an e-mail: a budget per client, and one per recipient shared by these forms.
_mail_limits = (
    _limit("RATE_LIMIT_MAIL"),
    limiter.shared_limit(
        lambda: current_app.config["RATE_LIMIT_MAIL_PER_ADDRESS"],
        scope="mail-address",
        key_func=_recipient_key,
        methods=["POST"],
    ),
)


def _sends_mail(view):
    for limit in reversed(_mail_limits):
        view = limit(view)
    return view


@bp.route("/inscription", methods=["GET", "POST"])
@_limit("RATE_LIMIT_SIGNUP")
@_sends_mail
def signup():
    form = SignupForm()
    errors: dict = {}
    if form.validate_on_submit():
        session = get_session()
        try:
            outcome = services.sign_up(
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
            # The same answer whether the address is new or already has an account: only its owner learns which.
            send_signup_mail(outcome)
            return redirect(url_for("auth.check_mail", reason="inscription"), 303)
    status = 422 if errors else 200
    return render_template("auth/signup.html", form=form, errors=errors), status


def _account_from_link(token: str, purpose: str, max_age: int):
    secret_key = current_app.config["SECRET_KEY"]
    return read_token(token, purpose=purpose, secret_key=secret_key, max_age=max_age, session=get_session())


@bp.get("/verifiez-votre-messagerie")
def check_mail():
    reason = request.args.get("reason")
    return render_template("auth/check_mail.html", reason=reason if reason in ("inscription", "mot-de-passe") else None)


@bp.route("/confirmation/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    session = get_session()
    user = _account_from_link(token, "confirm-email", current_app.config["EMAIL_VERIFICATION_HOURS"] * 3600)
    form = ConfirmForm()
    if user is None:
        return render_template("auth/link_invalid.html", kind="confirm"), 404
    if not form.validate_on_submit():
        return render_template("auth/confirm.html", form=form, pseudonym=user.pseudonym)
    services.confirm_email(session=session, user=user)
    session.commit()
    flash(_("Votre adresse est confirmée : vous pouvez vous connecter."), "success")
    return redirect(url_for("auth.login"), 303)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@_sends_mail
def forgot_password():
    form = EmailForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form, errors={})
    session = get_session()
    user = services.find_by_email(session=session, email=form.email.data or "")
    if user is not None and user.is_active:
        send_password_reset_mail(user)
    else:
        rehearse_password_reset_mail(form.email.data or "")
    # Whatever happened: the page does not tell whether the address has an account.
    return redirect(url_for("auth.check_mail", reason="mot-de-passe"), 303)


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
@_limit("RATE_LIMIT_LOGIN")
def reset_password(token: str):
    session = get_session()
    user = _account_from_link(token, "reset-password", current_app.config["PASSWORD_RESET_MINUTES"] * 60)
    if user is None:
        return render_template("auth/link_invalid.html", kind="reset"), 404
    form = NewPasswordForm()
    errors: dict = {}
    if form.validate_on_submit():
        try:
            services.reset_password(
                session=session,
                user=user,
                new=form.password.data or "",
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            session.commit()
            logout_user()  # whoever was signed in here, this browser starts afresh
            flash(_("Votre mot de passe est changé : connectez-vous avec le nouveau."), "success")
            return redirect(url_for("auth.login"), 303)
    return render_template("auth/reset.html", form=form, errors=errors), (422 if errors else 200)


@bp.route("/connexion", methods=["GET", "POST"])
@_limit("RATE_LIMIT_LOGIN")
def login():
    form = LoginForm(next=request.args.get("next", ""))
    errors: dict = {}
    if form.validate_on_submit():
        session = get_session()
        user = services.check_credentials(
            session=session,
            email=form.email.data or "",
            password=form.password.data or "",
            refuse_demo=current_app.config["ENV"] not in DEVELOPMENT_ENVS,
        )
        if user is None:
            errors["__all__"] = _("Adresse électronique ou mot de passe incorrect.")
        elif user.email_verified_at is None:
            # Only someone who knows the password gets here: telling them is safe. A new link goes out.
            send_signup_mail(services.SignUp(user=user, already_registered=False))
            errors["__all__"] = _(
                "Confirmez d'abord votre adresse électronique : nous venons de vous renvoyer le lien de confirmation."
            )
        else:
            services.record_login(session=session, user=user)
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
