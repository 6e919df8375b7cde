"""HTTP helpers shared by the votes, comments and flags views: sign-in, rate limit, way back.

They live here because these three features were built together; a shared web module would be their
natural home if other features need them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

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


# ------------------------------------------------------------------------------
# The agree / disagree / pass panel, computed in Python: a list page shows 20 of them, and per-button
# translations, URL building and CSRF look-ups in the template were most of its rendering time.


@dataclass(frozen=True)
class VoteOption:
    value: int
    label: Markup
    icon: str
    count: int
    count_text: str  # "(3 votes)" for screen readers
    tag_text: Markup | None  # "D'accord : 3", only for the read-only form
    pressed: bool


@dataclass(frozen=True)
class VotePanel:
    contribution_id: int
    options: tuple[VoteOption, ...]
    group_label: Markup  # names the buttons after the contribution's title (escaped)
    action: str | None  # the vote URL when the user may vote now, else None (read-only counts)
    csrf_token: str
    back: str
    login_url: str | None  # anonymous visitors on a contribution they could vote on
    error: str | None = None
    saved: bool = False


class VoteTexts:
    """The panel's translated texts and URLs, looked up once per request (a list page builds 20 panels)."""

    def __init__(self) -> None:
        self.labels = [
            (1, Markup(_("D'accord")), "fr-icon-thumb-up-line"),
            (-1, Markup(_("Pas d'accord")), "fr-icon-thumb-down-line"),
            (0, Markup(_("Passer")), "fr-icon-arrow-right-line"),
        ]
        self.your_say = Markup(_("Votre avis sur « %(title)s »"))
        self.votes_on = Markup(_("Votes sur « %(title)s »"))
        self.tag = Markup(_("%(label)s : %(count)s"))
        self.vote_url = url_pattern("votes.vote", "contribution_id")
        self.back = participation_back()
        self.signed_in = g.get("user") is not None
        self.csrf_token = generate_csrf() if self.signed_in else ""
        self.login_url = url_for("auth.login", next=self.back)
        self._counts: dict[int, str] = {}

    @classmethod
    def current(cls) -> VoteTexts:
        if "vote_texts" not in g:
            g.vote_texts = cls()
        return g.vote_texts

    def count_text(self, count: int) -> str:
        if count not in self._counts:
            self._counts[count] = "(" + ngettext("%(num)d vote", "%(num)d votes", count) + ")"
        return self._counts[count]


def vote_panel(
    contribution,
    my_vote: int | None,
    *,
    readonly: bool = False,
    error: str | None = None,
    saved: bool = False,
    texts: VoteTexts | None = None,
) -> VotePanel:
    """The panel of one contribution; `readonly` for a closed consultation or when voting was just refused."""
    texts = texts or VoteTexts.current()
    counts = {1: contribution.agree_count, -1: contribution.disagree_count, 0: contribution.pass_count}
    readonly = readonly or contribution.status != "published"
    can_vote = texts.signed_in and not readonly
    options = tuple(
        VoteOption(
            value=value,
            label=label,
            icon=icon,
            count=counts[value],
            count_text=texts.count_text(counts[value]),
            tag_text=None if can_vote else texts.tag % {"label": label, "count": counts[value]},
            pressed=my_vote == value,
        )
        for value, label, icon in texts.labels
    )
    return VotePanel(
        contribution_id=contribution.id,
        options=options,
        group_label=(texts.your_say if can_vote else texts.votes_on) % {"title": contribution.title},
        action=texts.vote_url(contribution.id) if can_vote else None,
        csrf_token=texts.csrf_token,
        back=texts.back,
        login_url=texts.login_url if not texts.signed_in and not readonly else None,
        error=error,
        saved=saved,
    )


def url_pattern(endpoint: str, key: str) -> Callable[[int], str]:
    """url_for(endpoint, key=id) for many ids at the cost of one: the URL is built once around a marker."""
    marker = "918273645"
    head, tail = url_for(endpoint, **{key: int(marker)}).split(marker)
    return lambda value: f"{head}{value}{tail}"
