"""What a contribution card shows, computed in Python once per page (called by the views that list contributions).

A list page renders 20 cards. Done in the template, each card looked up ~15 translations, built 3 URLs, formatted a
date and created 3 template contexts: that was most of the page's time, while its SQL takes under a millisecond.
Here translations, URL patterns, the CSRF token and the way back are fetched once per page, dates once per day,
and the template only places ready values.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date

from flask import current_app, get_template_attribute
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from consult.contributions import search
from consult.contributions.services import ContributionView
from consult.i18n import content_lang
from consult.votes.web import VotePanel, VoteTexts, url_pattern, vote_panel


@dataclass(frozen=True)
class Tag:
    """A theme or principle tag: a short label a citizen can read, the full wording as its tooltip."""

    label: str
    title: str
    theme: bool = False


@dataclass(frozen=True)
class Card:
    """Everything a card shows, and nothing else: a card's HTML is cached under its Card (see render_cards)."""

    contribution_id: int
    status: str
    url: str
    title: Markup  # escaped, searched words marked
    excerpt: Markup
    byline: Markup
    tags: tuple[Tag, ...]
    votes: VotePanel


def tags_for(view: ContributionView, *, locale: str | None = None, numbered: bool = False) -> list[Tag]:
    """The theme and principles of a contribution; `numbered` adds the principle's number (detail page)."""
    locale = locale or str(get_locale() or "fr")
    tags = [Tag(view.theme.short(locale), view.theme.label(locale), theme=True)] if view.theme else []
    for principle in view.principles:
        label = principle.short(locale)
        if numbered:
            label = _("Principe %(n)d · %(label)s", n=principle.number, label=label)
        tags.append(Tag(label, principle.label(locale)))
    return tags


class _PageTexts:
    """Per-page look-ups shared by every card."""

    def __init__(self) -> None:
        self.locale = str(get_locale() or "fr")
        self.by = Markup(_("Par %(author)s, le %(date)s"))
        self.detail_url = url_pattern("contributions.detail", "contribution_id")
        self._dates: dict[date, str] = {}
        self._comments: dict[int, str] = {}

    def date(self, value) -> str:
        day = value.date()
        if day not in self._dates:
            self._dates[day] = format_date(value)
        return self._dates[day]

    def comments(self, count: int) -> str:
        if count not in self._comments:
            self._comments[count] = ngettext("%(num)d commentaire", "%(num)d commentaires", count)
        return self._comments[count]


def build_cards(
    items: list[ContributionView],
    *,
    my_votes: dict[int, int],
    query: search.SearchQuery | None = None,
    readonly: bool = False,
) -> list[Card]:
    """The cards of a list page, in order; `readonly` shows vote counts without buttons (closed consultation)."""
    texts, vote_texts = _PageTexts(), VoteTexts.current()
    cards = []
    for view in items:
        contribution = view.contribution
        byline = texts.by % {"author": view.author, "date": texts.date(contribution.created_at)}
        cards.append(
            Card(
                contribution_id=contribution.id,
                status=contribution.status,
                url=texts.detail_url(contribution.id),
                title=search.highlight(contribution.title, query),
                excerpt=search.highlight(search.excerpt(contribution.body, query), query),
                byline=byline + Markup(" · ") + texts.comments(contribution.comment_count),
                tags=tuple(tags_for(view, locale=texts.locale)),
                votes=vote_panel(contribution, my_votes.get(contribution.id), readonly=readonly, texts=vote_texts),
            )
        )
    return cards


# The CSRF token is the one part of a card that changes with every request (it is signed with a timestamp): the
# cached HTML holds this marker in its place. Random per process, so no contribution text can contain it.
_TOKEN_MARKER = "csrf-" + secrets.token_hex(16)
CACHE_SIZE = 2000  # cards kept per process (a few kB each)


class _CardCache:
    """A small LRU of rendered cards, shared by the requests of one process."""

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            html = self.items.get(key)
            if html is not None:
                self.items.move_to_end(key)
            return html

    def put(self, key, html) -> None:
        with self.lock:
            self.items[key] = html
            if len(self.items) > self.size:
                self.items.popitem(last=False)


def render_cards(cards: list[Card], *, first_page: bool) -> list[Markup]:
    """The HTML of each card (contributions/_card.html), rendered once per distinct card and kept.

    A card's HTML depends only on its Card value (every text, count, URL and label it shows, already computed for
    the visitor), the focus flag and the interface language: that is the cache key,
    so a vote, an edit, a moderation or another visitor's own vote gives another key, never stale HTML. Rendering
    20 cards was the largest part of a list page; the cards of a popular page are the same for every visitor who
    has the same vote on them.
    """
    cache = current_app.extensions.get("consult.card_cache")
    if cache is None:
        cache = current_app.extensions["consult.card_cache"] = _CardCache(CACHE_SIZE)
    macro = get_template_attribute("contributions/_card.html", "contribution_card")
    locale, lang = str(get_locale() or "fr"), content_lang()
    out = []
    for index, card in enumerate(cards):
        token = card.votes.csrf_token
        keyed = replace(card, votes=replace(card.votes, csrf_token=_TOKEN_MARKER)) if token else card
        key = (keyed, index == 0 and not first_page, locale)
        html = cache.get(key)
        if html is None:
            html = macro(keyed, focus=key[1], lang=lang)
            cache.put(key, html)
        out.append(Markup(html.replace(_TOKEN_MARKER, token)) if token else html)
    return out
