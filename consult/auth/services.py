"""Account logic: registration, authentication, password change. Flushes, never commits."""

from __future__ import annotations

import re

from sqlmodel import Session, func, select

from consult.auth.passwords import hash_password, password_problem, verify_password
from consult.errors import ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import Role, User, utcnow

# The demo accounts' domain (consult.demo): their password is public, so they sign in only in development.
DEMO_EMAIL_DOMAIN = "demo.consultation.fr"
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
    """Create a citizen account, or raise ValidationFailed with one French message per bad field."""
    email = normalize_email(email)
    pseudonym = " ".join(pseudonym.split())
    errors: dict[str, str] = {}
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_RE.match(email):
        errors["email"] = _l("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.")
    elif session.exec(select(User).where(User.email == email)).first():
        errors["email"] = _l(
            "Un compte existe déjà avec cette adresse électronique. Connectez-vous ou utilisez une autre adresse."
        )
    if not PSEUDONYM_RE.match(pseudonym):
        errors["pseudonym"] = _l(
            "Le pseudonyme doit faire de 3 à 40 caractères (lettres, chiffres, espaces, tirets, points, apostrophes)."
        )
    elif pseudonym_taken(session=session, pseudonym=pseudonym):
        errors["pseudonym"] = _l("Ce pseudonyme est déjà utilisé. Choisissez-en un autre.")
    message = check_password(password, min_length=min_password_length, personal=(email.split("@")[0], pseudonym))
    if message:
        errors["password"] = message
    if not consent:
        errors["consent"] = _l("Vous devez accepter la politique de confidentialité pour créer un compte.")
    if errors:
        raise ValidationFailed(errors)
    if role not in set(Role):
        raise ValidationFailed({"role": _l("Rôle inconnu.")})
    user = User(
        email=email,
        pseudonym=pseudonym,
        password_hash=hash_password(password),
        role=role,
        privacy_consent_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def pseudonym_taken(*, session: Session, pseudonym: str) -> bool:
    query = select(func.count()).select_from(User).where(func.lower(User.pseudonym) == pseudonym.lower())
    return session.exec(query).one() > 0


def authenticate(*, session: Session, email: str, password: str, refuse_demo: bool = True) -> User | None:
    """Return the active user with these credentials, or None (same answer for unknown email and bad password).

    Demo accounts are refused unless `refuse_demo` is False (development), whatever their password.
    """
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    valid = verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active:
        return None
    if refuse_demo and is_demo_account(user):
        return None
    user.last_login_at = utcnow()
    session.add(user)
    return user


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
