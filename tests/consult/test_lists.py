"""Contribution lists: filters, sorts, keyset pagination, htmx partial vs full page, SQL statements per request."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from consult.contributions import cards
from consult.contributions.listing import SORTS, BadCursor, ListFilters, decode_cursor, list_contributions
from consult.models import Contribution, Role, utcnow
from tests.consult.contribution_factories import add_contribution, add_vote

HTMX = {"HX-Request": "true"}


def _list_url(consultation, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/consultations/{consultation.slug}/contributions" + (f"?{query}" if query else "")


def _ids(html):
    return [int(i) for i in re.findall(r'id="contribution-(\d+)"', html)]


def _next_url(html):
    match = re.search(r'<a class="fr-btn fr-btn--secondary[^"]*" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def scored(session, make_consultation, make_user):
    """25 contributions with many ties on every sort key (same second, same counts), to stress the id tiebreak."""
    consultation, author = make_consultation(), make_user()
    start = utcnow() - timedelta(hours=1)
    for n in range(25):
        agree, disagree = n % 4, (n * 7) % 3
        add_contribution(
            session,
            consultation,
            author,
            commit=False,
            created_at=start + timedelta(minutes=n // 3),  # groups of three share a timestamp
            agree_count=agree,
            disagree_count=disagree,
            pass_count=n % 2,
            vote_count=agree + disagree + n % 2,
            divisive_score=float(min(agree, disagree)) / max(agree, disagree, 1) * (agree + disagree),
            consensus_score=(agree + 1) / (agree + disagree + 2) * (1 - 1 / (agree + disagree + n % 2 + 1)),
        )
    session.commit()
    return consultation


def _expected(session, consultation, sort):
    column, descending = SORTS[sort]
    rows = session.exec(select(Contribution).where(Contribution.consultation_id == consultation.id)).all()
    key = column.key
    if descending:
        return [c.id for c in sorted(rows, key=lambda c: (getattr(c, key), c.id), reverse=True)]
    return [c.id for c in sorted(rows, key=lambda c: (getattr(c, key), -c.id))]


@pytest.mark.parametrize("sort", list(SORTS))
def test_keyset_pages_have_no_duplicates_or_gaps(session, scored, sort):
    seen, after = [], None
    for _ in range(10):
        page = list_contributions(
            session=session, consultation=scored, filters=ListFilters(sort=sort), after=after, limit=4
        )
        seen += [item.contribution.id for item in page.items]
        after = page.next_cursor
        if after is None:
            break
    assert seen == _expected(session, scored, sort)


@pytest.mark.parametrize("sort", list(SORTS))
def test_load_more_over_http_follows_the_sort(app, client, session, scored, sort):
    app.config["CONTRIBUTIONS_PAGE_SIZE"] = 7
    html = client.get(_list_url(scored, sort=sort)).get_data(as_text=True)
    seen, url = _ids(html), _next_url(html)
    while url:
        assert f"sort={sort}" in url or sort == "recent"  # filter state travels with the cursor
        response = client.get(url, headers=HTMX)
        assert "HX-Push-Url" not in response.headers
        html = response.get_data(as_text=True)
        assert "<html" not in html
        seen += _ids(html)
        url = _next_url(html)
    assert seen == _expected(session, scored, sort)


def test_new_contribution_between_pages_does_not_shift_them(session, scored, make_user):
    first = list_contributions(session=session, consultation=scored, filters=ListFilters(), limit=5)
    add_contribution(session, scored, make_user())  # newest: would push every OFFSET page by one
    second = list_contributions(
        session=session, consultation=scored, filters=ListFilters(), after=first.next_cursor, limit=5
    )
    expected = _expected(session, scored, "recent")
    assert [i.contribution.id for i in first.items + second.items] == expected[1:11]


def test_bad_cursor_400(client, scored):
    assert client.get(_list_url(scored, after="pas-un-curseur")).status_code == 400
    with pytest.raises(BadCursor):
        decode_cursor("MjAyNnwx", datetime)  # "2026|1": not a datetime


def test_full_page_and_htmx_partial(client, session, make_consultation, make_user):
    consultation = make_consultation()
    contribution = add_contribution(session, consultation, make_user(), title="Une proposition à lister")
    full = client.get(_list_url(consultation))
    assert full.status_code == 200 and "HX-Request" in full.headers["Vary"]
    html = full.get_data(as_text=True)
    assert "<html" in html and 'id="contribution-filters"' in html and 'hx-push-url="true"' in html
    assert f'id="contribution-{contribution.id}"' in html
    partial = client.get(_list_url(consultation), headers=HTMX).get_data(as_text=True)
    assert "<html" not in partial and 'id="contribution-filters"' not in partial
    assert f'id="contribution-{contribution.id}"' in partial and 'id="load-more"' in partial
    # The filter form pushes the canonical URL (no empty parameters); "Voir plus" pushes nothing.
    filtered = client.get(_list_url(consultation, q="", theme="T01", principle=""), headers=HTMX)
    assert filtered.headers["HX-Push-Url"] == f"/consultations/{consultation.slug}/contributions?theme=T01"
    # Back button after hx-push-url: htmx asks for the whole page again.
    restore = client.get(_list_url(consultation), headers=HTMX | {"HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_unknown_consultation_404(client):
    assert client.get("/consultations/inconnue/contributions").status_code == 404


def test_no_js_next_page_and_back_to_start(app, client, session, make_consultation, make_user):
    app.config["CONTRIBUTIONS_PAGE_SIZE"] = 2
    consultation, author = make_consultation(), make_user()
    for _ in range(3):
        add_contribution(session, consultation, author)
    html = client.get(_list_url(consultation)).get_data(as_text=True)
    assert "Revenir au début de la liste" not in html
    assert "autofocus" not in html
    second = client.get(_next_url(html)).get_data(as_text=True)
    assert second.count("autofocus") == 1  # focus goes to the first card of the new batch
    assert "<html" in second and "Revenir au début de la liste" in second and len(_ids(second)) == 1
    assert _next_url(second) is None


def test_filters_by_theme_principle_and_text(client, session, make_consultation, make_user):
    consultation, author = make_consultation(), make_user()
    a = add_contribution(session, consultation, author, theme_id="T01", title="Accès aux données de santé")
    b = add_contribution(
        session,
        consultation,
        author,
        theme_id="T02",
        principles=["P05"],
        body="Un texte qui parle de 100% sobriété numérique ici.",
    )
    c = add_contribution(session, consultation, author, principles=["P05", "P06"])
    assert _ids(client.get(_list_url(consultation, theme="T01")).get_data(as_text=True)) == [a.id]
    assert _ids(client.get(_list_url(consultation, principle="P05")).get_data(as_text=True)) == [c.id, b.id]
    # Full-text search on both databases: case, accents and number folded, "-word" excludes.
    assert _ids(client.get(_list_url(consultation, q="DONNÉES")).get_data(as_text=True)) == [a.id]
    assert _ids(client.get(_list_url(consultation, q="donnee")).get_data(as_text=True)) == [a.id]
    assert _ids(client.get(_list_url(consultation, q="accès aux")).get_data(as_text=True)) == [a.id]
    assert _ids(client.get(_list_url(consultation, q="100%25 sobriété")).get_data(as_text=True)) == [b.id]
    assert _ids(client.get(_list_url(consultation, q="sobriété -accès")).get_data(as_text=True)) == [b.id]
    assert _ids(client.get(_list_url(consultation, q="%25")).get_data(as_text=True)) == []  # nothing to search
    html = client.get(_list_url(consultation, theme="T02", principle="P05")).get_data(as_text=True)
    assert _ids(html) == [b.id]
    assert 'value="T02" selected' in html and 'value="P05" selected' in html  # the form shows the URL's state
    assert "Aucune contribution ne correspond" in client.get(_list_url(consultation, theme="T03")).get_data(
        as_text=True
    )


def test_filter_options_are_rendered_once_per_language_and_selection(app, client, make_consultation):
    consultation = make_consultation()
    for theme in ("T02", "ZZZ", "T02", "", "QQQ"):
        html = client.get(_list_url(consultation, theme=theme, sort="agreed")).get_data(as_text=True)
        assert html.count("selected") == 1 + (theme == "T02")  # an unknown theme selects nothing
        assert '<option value="agreed" selected>Les plus approuvées</option>' in html
    options = app.extensions["consult.taxonomy_cache"]["options"]
    assert len(options) == 2  # T02 and "nothing selected": what a visitor types does not grow the cache
    client.get("/langue/en")
    html = client.get(_list_url(consultation, theme="T02", sort="agreed")).get_data(as_text=True)
    assert '<option value="agreed" selected>Most agreed</option>' in html and 'value="T02" selected' in html
    assert len(options) == 3


def test_cached_cards_follow_every_change_and_carry_each_requests_token(
    app, client, session, make_consultation, make_user, auth
):
    consultation, author, voter = make_consultation(), make_user(), make_user()
    contribution = add_contribution(session, consultation, author, title="Une idée à soutenir")

    def card_of(html):
        start = html.index(f'id="contribution-{contribution.id}"')
        return html[start : html.index('class="fr-card__footer"', start) + 2000]

    first = client.get(_list_url(consultation)).get_data(as_text=True)
    assert "Connectez-vous pour voter" in card_of(first) and 'name="csrf_token"' not in card_of(first)
    auth.login(voter)
    signed_in = client.get(_list_url(consultation)).get_data(as_text=True)
    card = card_of(signed_in)
    token = re.search(r'name="csrf_token" value="([^"]+)"', card).group(1)
    assert f'"X-CSRFToken": "{token}"' in signed_in  # the card carries this request's token, not a cached one
    assert cards._TOKEN_MARKER not in signed_in and "Connectez-vous pour voter" not in card
    contribution.agree_count, contribution.title = 3, "Une idée soutenue"
    session.add(contribution)
    session.commit()
    add_vote(session, contribution, voter, 1)
    card = card_of(client.get(_list_url(consultation)).get_data(as_text=True))
    assert "Une idée soutenue" in card and "Une idée à soutenir" not in card
    pressed = r'aria-pressed="true"[^>]*>\s*D\'accord<span class="fr-ml-1w" aria-hidden="true">3</span>'
    assert re.search(pressed, card)  # the new count, and the visitor's own vote
    assert len(app.extensions["consult.card_cache"].items) == 3  # anonymous, signed in, after the changes


def test_unpublished_statuses_only_for_moderators(client, session, make_consultation, make_user, auth):
    consultation, author = make_consultation(), make_user()
    published = add_contribution(session, consultation, author)
    pending = add_contribution(session, consultation, author, status="pending")
    add_contribution(session, consultation, author, status="hidden")
    assert _ids(client.get(_list_url(consultation)).get_data(as_text=True)) == [published.id]
    assert client.get(_list_url(consultation, status="pending")).status_code == 403
    auth.login(author)
    assert client.get(_list_url(consultation, status="pending")).status_code == 403
    assert 'name="status"' not in client.get(_list_url(consultation)).get_data(as_text=True)
    auth.logout()
    auth.login(make_user(role=Role.MODERATOR))
    html = client.get(_list_url(consultation, status="pending")).get_data(as_text=True)
    assert _ids(html) == [pending.id] and 'name="status"' in html


def test_sort_orders(client, session, make_consultation, make_user):
    consultation, author = make_consultation(), make_user()
    now = utcnow()
    old_popular = add_contribution(
        session,
        consultation,
        author,
        created_at=now - timedelta(days=2),
        agree_count=9,
        vote_count=10,
        disagree_count=1,
        divisive_score=1.0,
        consensus_score=0.75,
    )
    divisive = add_contribution(
        session,
        consultation,
        author,
        created_at=now - timedelta(days=1),
        agree_count=5,
        disagree_count=5,
        vote_count=10,
        divisive_score=10.0,
        consensus_score=0.45,
    )
    fresh = add_contribution(session, consultation, author, created_at=now)
    order = {sort: _ids(client.get(_list_url(consultation, sort=sort)).get_data(as_text=True)) for sort in SORTS}
    assert order["recent"] == [fresh.id, divisive.id, old_popular.id]
    assert order["agreed"][0] == old_popular.id
    assert order["divisive"][0] == divisive.id
    assert order["consensus"][0] == old_popular.id
    assert order["least_voted"][0] == fresh.id
    assert order == {**order, "recent": _ids(client.get(_list_url(consultation, sort="bogus")).get_data(as_text=True))}


class _StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def _statements(app, client, url, headers=None):
    with _StatementCounter(app.extensions["consult.engine"]) as counter:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return counter.count


@pytest.mark.parametrize("headers", [None, HTMX], ids=["full", "htmx"])
def test_statement_count_does_not_grow_with_page_size(
    app, client, session, make_consultation, make_user, auth, headers
):
    app.config["CONTRIBUTIONS_PAGE_SIZE"] = 50
    consultation, voter = make_consultation(), make_user()

    def add(n):
        for i in range(n):
            author = make_user()  # a different author each time: authors must be batch-loaded
            contribution = add_contribution(
                session,
                consultation,
                author,
                theme_id=f"T0{i % 9 + 1}",
                principles=["P01", f"P{i % 16 + 1:02d}"] if i % 16 else ["P01"],
            )
            add_vote(session, contribution, voter, [1, -1, 0][i % 3])

    add(5)
    auth.login(voter)
    client.get(_list_url(consultation))  # fills the per-process taxonomy cache of the filters
    small = _statements(app, client, _list_url(consultation), headers)
    assert small == _statements(
        app, client, _list_url(consultation, sort="agreed", theme="T01", principle="P01"), headers
    )
    add(45)
    html = client.get(_list_url(consultation), headers=headers or {}).get_data(as_text=True)
    assert len(_ids(html)) == 50
    assert _statements(app, client, _list_url(consultation), headers) == small
    anonymous_client = app.test_client()
    assert _statements(app, anonymous_client, _list_url(consultation), headers) <= small


def test_contribution_page_statement_count_is_bounded(app, client, session, make_consultation, make_user):
    consultation = make_consultation()
    contribution = add_contribution(
        session, consultation, make_user(), theme_id="T01", principles=["P01", "P02", "P03"]
    )
    assert _statements(app, client, f"/contributions/{contribution.id}") <= 8


def test_cards_show_short_labels_and_the_page_numbers_them(client, session, make_consultation, make_user):
    consultation, author = make_consultation(), make_user()
    contribution = add_contribution(session, consultation, author, theme_id="T02", principles=["P08"])
    html = client.get(_list_url(consultation)).get_data(as_text=True)
    card = html[html.index(f'id="contribution-{contribution.id}"') :]
    assert 'title="Mon espace santé et dossier médical partagé (DMP)">Mon espace santé</p>' in card
    assert 'title="Droit d&#39;opposition">Droit d&#39;opposition</p>' in card
    assert "Principe 8" not in card
    page = client.get(f"/contributions/{contribution.id}").get_data(as_text=True)
    assert "Principe 8 · Droit d&#39;opposition" in page
    client.get("/langue/en")
    english = client.get(_list_url(consultation)).get_data(as_text=True)
    assert ">My health space</p>" in english and ">Right to object</p>" in english
