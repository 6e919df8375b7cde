"""The user's rights (RGPD art. 15, 17, 20): export everything we hold, erase the account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from consult.auth.passwords import verify_password
from consult.errors import ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import User, utcnow

# Features that hold data about a user register a section of the export here (name -> builder), so the
# export always covers every table without this module importing each feature.
EXPORT_SECTIONS: dict[str, Callable[[Session, User], Any]] = {}
# Likewise, features holding data that must go with the account register an eraser (RGPD art. 17).
ERASERS: dict[str, Callable[[Session, User], None]] = {}


def export_section(name: str):
    def register(builder: Callable[[Session, User], Any]):
        EXPORT_SECTIONS[name] = builder
        return builder

    return register


def erase_section(name: str):
    def register(eraser: Callable[[Session, User], None]):
        ERASERS[name] = eraser
        return eraser

    return register


def export_user_data(*, session: Session, user: User) -> dict[str, Any]:
    """Return all the personal data the platform holds about `user`, as JSON-ready values."""
    data: dict[str, Any] = {
        "account": {
            "id": user.id,
            "email": user.email,
            "pseudonym": user.pseudonym,
            "role": user.role,
            "locale": user.locale,
            "privacy_consent_at": _iso(user.privacy_consent_at),
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "exported_at": _iso(utcnow()),
    }
    for name, builder in EXPORT_SECTIONS.items():
        data[name] = builder(session, user)
    return data


def delete_account(*, session: Session, user: User, password: str) -> None:
    """Check the password, then anonymise the account (consult.account.erasure says what stays and what goes)."""
    if not verify_password(user.password_hash, password):
        raise ValidationFailed({"password": _l("Mot de passe incorrect : le compte n'a pas été supprimé.")})
    from consult.account.erasure import anonymise_user  # it imports the features, which import this module

    anonymise_user(session=session, user=user)


def _iso(value) -> str | None:
    return value.isoformat() if value else None
