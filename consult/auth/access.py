"""Who is signed in, and one decorator per kind of protection (login, roles)."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from consult.db import get_session
from consult.models import User

MAX_NEXT_LENGTH = 2000


def role_label(role: str) -> str:
    """A role in words, for pages and messages (the stored value, « moderator », is an internal name)."""
    labels = {
        "citizen": _("Citoyen"),
        "moderator": _("Modérateur"),
        "analyst": _("Analyste (délégation)"),
        "admin": _("Administrateur"),
    }
    return labels.get(role, role)


def load_current_user() -> None:
    """Put the signed-in, still valid user (or None) on g.user."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = get_session().get(User, user_id)
    if user is None or not user.is_active or session.get("user_version") != user.session_version:
        session.clear()
        return
    g.user = user


# Kept across login: the language, and the assistant conversation begun anonymously (attached to the account).
KEPT_AT_LOGIN = ("lang", "assistant_conversation")


def login_user(user: User) -> None:
    # A fresh session on login, so that nothing set before authentication survives it (but KEPT_AT_LOGIN).
    kept = {key: session[key] for key in KEPT_AT_LOGIN if session.get(key)}
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session["user_version"] = user.session_version
    session.update(kept)


def logout_user() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def login_required(view: Callable) -> Callable:
    """Redirect anonymous visitors to the login page, coming back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            flash(_("Connectez-vous pour accéder à cette page."), "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str) -> Callable:
    """Allow signed-in users with one of `roles` (admins always); 403 for the others."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = g.get("user")
            if user is None:
                return login_required(view)(*args, **kwargs)
            if not user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def safe_next(target: str | None) -> str | None:
    """Accept only local paths as a post-login destination (no open redirect).

    Browsers drop tabs and line breaks from URLs ("/\t/evil.com" becomes "//evil.com", another site) and a
    line break in a Location header is refused by the server (a 500): any control or space character, a
    backslash, a scheme or a host makes the target unusable.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in target):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
