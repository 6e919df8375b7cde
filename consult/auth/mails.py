"""The account e-mails: confirm an address, "an account already exists", reset a password."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import get_locale

from consult import mail
from consult.auth.services import EMAIL_MAX_LENGTH, EMAIL_RE, SignUp, normalize_email
from consult.auth.tokens import make_token
from consult.models import User


def _locale(user: User) -> str:
    # The owner's own choice when known; otherwise the language of the page the request came from.
    return user.locale or str(get_locale())


def _link(endpoint: str, user: User, purpose: str) -> str:
    token = make_token(user, purpose=purpose, secret_key=current_app.config["SECRET_KEY"])
    return mail.public_url(url_for(endpoint, token=token))


def send_signup_mail(outcome: SignUp) -> None:
    """The address gets a confirmation link if the account is new, or a notice if it existed already."""
    user = outcome.user
    if outcome.already_registered:
        mail.send(
            "account_exists",
            to=user.email,
            locale=_locale(user),
            pseudonym=user.pseudonym,
            login_url=mail.public_url(url_for("auth.login")),
            reset_url=mail.public_url(url_for("auth.forgot_password")),
        )
        return
    mail.send(
        "confirm_email",
        to=user.email,
        locale=_locale(user),
        pseudonym=user.pseudonym,
        link=_link("auth.confirm_email", user, "confirm-email"),
        hours=current_app.config["EMAIL_VERIFICATION_HOURS"],
    )


def send_password_reset_mail(user: User) -> None:
    mail.outbox().put(_reset_message(user))


def rehearse_password_reset_mail(email: str) -> None:
    """Do the work of a reset e-mail for an address without an account, and send nothing: same timing."""
    email = normalize_email(email)
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_RE.match(email):
        email = "inconnu@example.invalid"  # a typed value never goes into a header unchecked
    _reset_message(User(id=0, email=email, pseudonym="", password_hash=""))


def _reset_message(user: User):
    return mail.render_message(
        "reset_password",
        to=user.email,
        locale=_locale(user),
        pseudonym=user.pseudonym,
        link=_link("auth.reset_password", user, "reset-password"),
        minutes=current_app.config["PASSWORD_RESET_MINUTES"],
    )
