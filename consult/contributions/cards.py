"""What a contribution card shows, computed in Python once per page (called by the views that list contributions).

A list page renders 20 cards. Done in the template, each card looked up ~15 translations, built 3 URLs, formatted a
date and created 3 template contexts: that was most of the page's time, while its SQL takes under a millisecond.
Here translations, URL patterns, the CSRF token and the way back are fetched once per page, dates once per day,
and the template only places ready values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from consult.contributions import search
from consult.contributions.services import ContributionView
from consult.models import Contribution
from consult.votes.web import VotePanel, VoteTexts, url_pattern, vote_panel


@dataclass(frozen=True)
class Tag:
    """A theme or principle tag: a short label a citizen can read, the full wording as its tooltip."""

    label: str
    title: str
    theme: bool = False


@dataclass(frozen=True)
class Card:
    contribution: Contribution
    url: str
    title: Markup  # escaped, searched words marked
    excerpt: Markup
    byline: Markup
    tags: list[Tag]
    votes: VotePanel


def tags_for(view: ContributionView, *, locale: str | None = None, numbered: bool = False) -> list[Tag]:
    """The theme and principles of a contribution; `numbered` adds the principle's number (detail page)."""
    locale = locale or str(get_locale() or "fr")
    tags = [Tag(view.theme.short(locale), view.theme.label_fr, theme=True)] if view.theme else []
    for principle in view.principles:
        label = principle.short(locale)
        if numbered:
            label = _("Principe %(n)d · %(label)s", n=principle.number, label=label)
        tags.append(Tag(label, principle.label_fr))
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
                contribution=contribution,
                url=texts.detail_url(contribution.id),
                title=search.highlight(contribution.title, query),
                excerpt=search.highlight(search.excerpt(contribution.body, query), query),
                byline=byline + Markup(" · ") + texts.comments(contribution.comment_count),
                tags=tags_for(view, locale=texts.locale),
                votes=vote_panel(contribution, my_votes.get(contribution.id), readonly=readonly, texts=vote_texts),
            )
        )
    return cards
