"""HTTP helpers shared by the votes, comments and flags views: sign-in, rate limit, way back.

They live here because these three features were built together; a shared web module would be their
natural home if other features need them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from consult.auth.access import login_required, safe_next
from consult.extensions import htmx, limiter


def write_limit():
    """The rate limit of every write (POST) route."""
    return limiter.limit(lambda: current_app.config["RATE_LIMIT_WRITE"], methods=["POST"])


def sign_in_required(view: Callable) -> Callable:
    """login_required, sending anonymous POSTs back to the page they came from after login.

    The plain decorator would come back to the POST-only URL (405); an htmx request would swap the
    login page into the component, so it gets an HX-Redirect instead.
    """
    protected = login_required(view)

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is not None or request.method == "GET":
            return protected(*args, **kwargs)
        if htmx:
            back = safe_next(_path(htmx.current_url))
            return "", 200, {"HX-Redirect": url_for("auth.login", next=back)}
        flash(_("Connectez-vous pour participer."), "info")
        return redirect(url_for("auth.login", next=safe_next(request.form.get("next"))), 303)

    return wrapped


def wants_fragment() -> bool:
    """Whether to answer with a partial: htmx requests, except boosted page navigations."""
    return bool(htmx) and not htmx.boosted


def back_to(fallback: str) -> str:
    """Where to go after a write without JavaScript: the `next` field if local, else `fallback`."""
    return safe_next(request.form.get("next") or request.args.get("next")) or fallback


def participation_back() -> str:
    """Template global: the path of the page the user is on, for the forms' `next` field."""
    if htmx:
        # An htmx request's own URL is a fragment's: the page is the one htmx reports.
        return safe_next(_path(htmx.current_url)) or ""
    if request.method == "POST":
        return safe_next(request.form.get("next")) or ""
    return request.full_path.rstrip("?")


def _path(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
