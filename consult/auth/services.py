"""Account logic: registration, authentication, password change. Flushes, never commits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import Session, delete, func, select

from consult.auth.passwords import hash_password, password_problem, verify_password
from consult.errors import ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import Role, User, utcnow
from consult.retention import register_purge

# The demo accounts' domain (consult.demo): their password is public, so they sign in only in development.
DEMO_EMAIL_DOMAIN = "demo.consultation.fr"
# Names of anonymised accounts (consult.account.erasure): nobody may sign up with them.
RESERVED_PSEUDONYM_PREFIXES = ("participant anonyme", "anonyme-")
EMAIL_MAX_LENGTH = 254  # RFC 5321, and the column's size
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PSEUDONYM_RE = re.compile(r"^[\w .'-]{3,40}$")

PASSWORD_MESSAGES = {
    "too_short": _l("Le mot de passe doit contenir au moins %(n)s caractères."),
    "common": _l("Ce mot de passe est trop courant ou trop répétitif. Choisissez-en un autre."),
    "one_class": _l("Mélangez au moins deux types de caractères (minuscules, majuscules, chiffres, symboles)."),
    "personal": _l("Le mot de passe ne doit pas contenir votre adresse électronique ni votre pseudonyme."),
}


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str, *, min_length: int, personal: tuple[str, ...] = ()) -> str | None:
    problem = password_problem(password, min_length=min_length, personal=personal)
    if problem is None:
        return None
    return PASSWORD_MESSAGES[problem] % {"n": min_length}


def _signup_errors(
    *,
    session: Session,
    email: str,
    pseudonym: str,
    password: str,
    consent: bool,
    min_password_length: int,
    pending: User | None = None,
) -> dict[str, str]:
    """One French message per bad field; never says whether the address already has an account."""
    errors: dict[str, str] = {}
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_RE.match(email):
        errors["email"] = _l("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.")
    if pseudonym.strip().lower().startswith(RESERVED_PSEUDONYM_PREFIXES):
        errors["pseudonym"] = _l("Ce pseudonyme est réservé. Choisissez-en un autre.")
    elif not PSEUDONYM_RE.match(pseudonym):
        errors["pseudonym"] = _l(
            "Le pseudonyme doit faire de 3 à 40 caractères (lettres, chiffres, espaces, tirets, points, apostrophes)."
        )
    elif pseudonym_taken(session=session, pseudonym=pseudonym, except_user=pending):
        errors["pseudonym"] = _l("Ce pseudonyme est déjà utilisé. Choisissez-en un autre.")
    message = check_password(password, min_length=min_password_length, personal=(email.split("@")[0], pseudonym))
    if message:
        errors["password"] = message
    if not consent:
        errors["consent"] = _l("Vous devez accepter la politique de confidentialité pour créer un compte.")
    return errors


def register_user(
    *,
    session: Session,
    email: str,
    pseudonym: str,
    password: str,
    consent: bool,
    min_password_length: int,
    role: str = Role.CITIZEN,
) -> User:
    """Create an account whose address is taken as verified (`consult create-user`: an administrator's act).

    Raises ValidationFailed with one French message per bad field, including an address already in use: the
    administrator may know that. Visitors sign up through `sign_up`, which never tells.
    """
    email = normalize_email(email)
    pseudonym = " ".join(pseudonym.split())
    errors = _signup_errors(
        session=session,
        email=email,
        pseudonym=pseudonym,
        password=password,
        consent=consent,
        min_password_length=min_password_length,
    )
    if "email" not in errors and find_by_email(session=session, email=email) is not None:
        errors["email"] = _l("Un compte existe déjà avec cette adresse électronique.")
    if errors:
        raise ValidationFailed(errors)
    if role not in set(Role):
        raise ValidationFailed({"role": _l("Rôle inconnu.")})
    now = utcnow()
    user = User(
        email=email,
        pseudonym=pseudonym,
        password_hash=hash_password(password),
        role=role,
        privacy_consent_at=now,
        email_verified_at=now,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class SignUp:
    """What a sign-up led to, for the view to mail: a new (or renewed) account to confirm, or an existing one."""

    user: User
    already_registered: bool


def sign_up(
    *, session: Session, email: str, pseudonym: str, password: str, consent: bool, min_password_length: int
) -> SignUp:
    """Register a visitor, answering alike whether or not the address already has an account.

    - New address: an account waiting for its owner to confirm the address (no sign-in before that).
    - Address of an account still waiting for confirmation: that account takes the new pseudonym and password
      (whoever holds the mailbox confirms it; an earlier, unconfirmed attempt gives nobody access).
    - Address of a confirmed account: nothing changes; its owner gets an e-mail saying so.
    Field errors (format, pseudonym taken, weak password, consent) raise ValidationFailed and are the same in
    all three cases; the work done (one argon2 hash) too, so that timing does not tell them apart.
    """
    email = normalize_email(email)
    pseudonym = " ".join(pseudonym.split())
    existing = find_by_email(session=session, email=email) if len(email) <= EMAIL_MAX_LENGTH else None
    pending = existing if existing is not None and existing.email_verified_at is None else None
    errors = _signup_errors(
        session=session,
        email=email,
        pseudonym=pseudonym,
        password=password,
        consent=consent,
        min_password_length=min_password_length,
        pending=pending,
    )
    if errors:
        raise ValidationFailed(errors)
    password_hash = hash_password(password)
    if existing is not None and pending is None:
        return SignUp(user=existing, already_registered=True)
    user = pending or User(email=email, role=Role.CITIZEN)
    user.pseudonym = pseudonym
    user.password_hash = password_hash
    user.privacy_consent_at = utcnow()
    session.add(user)
    session.flush()
    return SignUp(user=user, already_registered=False)


def find_by_email(*, session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def confirm_email(*, session: Session, user: User) -> None:
    """The owner of the address followed the link mailed to it."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.add(user)


def reset_password(*, session: Session, user: User, new: str, min_password_length: int) -> None:
    """Set a new password from a reset link: every session ends, the link is spent, the address is confirmed."""
    message = check_password(
        new, min_length=min_password_length, personal=((user.email or "").split("@")[0], user.pseudonym)
    )
    if message:
        raise ValidationFailed({"password": message})
    user.password_hash = hash_password(new)
    confirm_email(session=session, user=user)  # the link reached the mailbox
    end_sessions(session=session, user=user)


def pseudonym_taken(*, session: Session, pseudonym: str, except_user: User | None = None) -> bool:
    query = select(func.count()).select_from(User).where(func.lower(User.pseudonym) == pseudonym.lower())
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return session.exec(query).one() > 0


def check_credentials(*, session: Session, email: str, password: str, refuse_demo: bool = True) -> User | None:
    """Return the active account with these credentials, confirmed or not, or None.

    The same answer, in the same time (one argon2 verification), for an unknown address and a wrong password.
    Demo accounts are refused unless `refuse_demo` is False (development), whatever their password.
    """
    user = find_by_email(session=session, email=email) if len(email) <= EMAIL_MAX_LENGTH else None
    valid = verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active:
        return None
    if refuse_demo and is_demo_account(user):
        return None
    return user


def authenticate(*, session: Session, email: str, password: str, refuse_demo: bool = True) -> User | None:
    """Return the user to sign in with these credentials (active, address confirmed), or None."""
    user = check_credentials(session=session, email=email, password=password, refuse_demo=refuse_demo)
    if user is None or user.email_verified_at is None:
        return None
    record_login(session=session, user=user)
    return user


def record_login(*, session: Session, user: User) -> None:
    user.last_login_at = utcnow()
    session.add(user)


def end_sessions(*, session: Session, user: User) -> None:
    """Invalidate every session of `user` (all browsers and any copied cookie): they carry the old version."""
    user.session_version += 1
    session.add(user)


def is_demo_account(user: User) -> bool:
    return (user.email or "").endswith("@" + DEMO_EMAIL_DOMAIN)


def change_password(*, session: Session, user: User, current: str, new: str, min_password_length: int) -> None:
    """Replace the password after checking the current one; other sessions of the user are logged out."""
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = _l("Le mot de passe actuel est incorrect.")
    message = check_password(
        new, min_length=min_password_length, personal=((user.email or "").split("@")[0], user.pseudonym)
    )
    if message:
        errors["new_password"] = message
    elif current and new == current:
        errors["new_password"] = _l("Le nouveau mot de passe doit être différent de l'actuel.")
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    end_sessions(session=session, user=user)


@register_purge("comptes jamais confirmés")
def purge_unconfirmed_accounts(*, session: Session, now: datetime, dry_run: bool) -> int:
    """Erase accounts whose address was never confirmed after UNVERIFIED_ACCOUNT_DAYS (the e-mail says so).

    Such an account never signed in, so nothing points to it.
    """
    days = current_app.config["UNVERIFIED_ACCOUNT_DAYS"]
    due = (
        User.email_verified_at.is_(None),
        User.deleted_at.is_(None),
        User.email.is_not(None),
        User.created_at < now - timedelta(days=days),
    )
    count = session.exec(select(func.count()).select_from(User).where(*due)).one()
    if not dry_run and count:
        session.exec(delete(User).where(*due))
    return count
