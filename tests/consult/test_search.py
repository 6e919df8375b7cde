"""Full-text search on both databases: index kept in sync, query language, ranking, highlighting, HTML = API."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup
from sqlalchemy import text

from consult.contributions import search, services
from consult.contributions.listing import RELEVANCE, ListFilters, list_contributions
from consult.fulltext import PREFIX_LENGTHS
from consult.models import ModerationMode, Role
from consult.moderation import services as moderation
from tests.consult.api_support import ApiClient
from tests.consult.contribution_factories import add_contribution


def _html_ids(client, consultation, **args) -> list[int]:
    """Every id of the HTML list for these filters, following "Voir plus"."""
    response = client.get(f"/consultations/{consultation.slug}/contributions", query_string=args)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'id="contribution-(\d+)"', html)]
    while match := re.search(r'<a class="fr-btn fr-btn--secondary[^"]*" href="([^"]+)"', html):
        html = client.get(match.group(1).replace("&amp;", "&")).get_data(as_text=True)
        ids += [int(i) for i in re.findall(r'id="contribution-(\d+)"', html)]
    return ids


def _api_ids(app, client, consultation, **params) -> list[int]:
    api = ApiClient(app, client)
    page = api.get("api.contributions", slug=consultation.slug, **params)
    ids = [item["id"] for item in page["data"]]
    while page["links"]["next"]:
        page = api.get(page["links"]["next"].removeprefix("http://localhost"))
        ids += [item["id"] for item in page["data"]]
    return ids


def _indexed(session, word: str) -> list[int]:
    """Ids whose indexed text holds `word`, read from the index itself (whatever the status)."""
    if session.get_bind().dialect.name == "postgresql":
        sql = "SELECT id FROM contribution WHERE search_vector @@ plainto_tsquery('consult_french', :w) ORDER BY id"
    else:
        sql = "SELECT rowid FROM contribution_fts WHERE contribution_fts MATCH :w ORDER BY rowid"
    return [row[0] for row in session.execute(text(sql), {"w": word})]


@pytest.fixture
def corpus(session, make_consultation, make_user):
    consultation, author = make_consultation(), make_user()
    # Unrelated texts, so that the searched words are rare enough for BM25 to weigh them (as in a real consultation).
    for n in range(12):
        add_contribution(session, consultation, author, title=f"Sujet annexe {n}", body=f"Remarque générale {n}.")
    rows = {
        "title": add_contribution(
            session, consultation, author, title="Les téléconsultations en zone rurale", body="Un texte sans rapport."
        ),
        "body": add_contribution(
            session,
            consultation,
            author,
            title="Accès aux soins",
            body="Développer la téléconsultation pour les personnes éloignées d'un médecin.",
        ),
        "twice": add_contribution(
            session,
            consultation,
            author,
            title="Téléconsultation et pharmacies",
            body="La téléconsultation en pharmacie rapproche le médecin du patient.",
        ),
        "other": add_contribution(
            session, consultation, author, title="Protéger les données", body="Le chiffrement des données de santé."
        ),
    }
    return consultation, rows


# ------------------------------------------------------------------------------
# The index follows every change, on both databases


def test_index_follows_insert_edit_withdrawal_moderation_and_delete(session, make_consultation, make_user):
    consultation = make_consultation(moderation=ModerationMode.PRE)
    author = make_user()
    submitted = services.submit_contribution(
        session=session,
        consultation=consultation,
        author=author,
        title="Une idée sur les ordonnances",
        body="Les ordonnances numériques devraient être lisibles partout.",
    )
    session.commit()
    assert _indexed(session, "ordonnances") == [submitted.id]

    def listed(word):
        page = list_contributions(session=session, consultation=consultation, filters=ListFilters(q=word))
        return [item.contribution.id for item in page.items]

    assert listed("ordonnances") == []  # pending: indexed but not listed
    services.update_contribution(
        session=session,
        contribution=submitted,
        consultation=consultation,
        title="Une idée sur les vaccins",
        body="Le carnet de vaccination devrait être numérique.",
    )
    session.commit()
    assert _indexed(session, "ordonnances") == [] and _indexed(session, "vaccination") == [submitted.id]

    moderator = make_user(Role.MODERATOR)

    def moderate(decision, **values) -> list[int]:
        decision(session=session, moderator=moderator, contribution=submitted, seen_version=submitted.version, **values)
        session.commit()
        return listed("vaccination")

    assert moderate(moderation.publish_contribution) == [submitted.id]
    assert moderate(moderation.hide_contribution) == []
    assert moderate(moderation.publish_contribution) == [submitted.id]
    # A moderator rewords the title: the index follows.
    assert moderate(moderation.edit_title, title="Le carnet de vaccination numérique") == [submitted.id]
    assert _indexed(session, "numérique") == [submitted.id] and _indexed(session, "idée") == []
    services.withdraw_contribution(session=session, contribution=submitted, consultation=consultation)
    session.commit()
    assert listed("vaccination") == []

    session.delete(submitted)
    session.commit()
    assert _indexed(session, "vaccination") == []


def test_vote_counter_updates_leave_the_index_alone(session, corpus):
    _, rows = corpus
    contribution = rows["other"]
    contribution.agree_count += 1
    session.add(contribution)
    session.commit()
    assert _indexed(session, "chiffrement") == [contribution.id]


# ------------------------------------------------------------------------------
# What a citizen types


def test_accents_case_and_number_are_folded(client, corpus):
    consultation, rows = corpus
    expected = sorted([rows["title"].id, rows["body"].id, rows["twice"].id])
    for q in ("téléconsultation", "TELECONSULTATIONS", "teleconsultation"):
        assert sorted(_html_ids(client, consultation, q=q)) == expected, q
    assert _html_ids(client, consultation, q="donnee") == [rows["other"].id]


def test_phrase_exclusion_or_and_prefix(client, corpus):
    consultation, rows = corpus
    assert _html_ids(client, consultation, q='"zone rurale"') == [rows["title"].id]
    assert _html_ids(client, consultation, q='"rurale zone"') == []
    assert sorted(_html_ids(client, consultation, q="téléconsultation -pharmacie")) == sorted(
        [rows["title"].id, rows["body"].id]
    )
    assert sorted(_html_ids(client, consultation, q="chiffrement or rurale")) == sorted(
        [rows["other"].id, rows["title"].id]
    )
    assert sorted(_html_ids(client, consultation, q="chiffr*")) == [rows["other"].id]


def test_fts_syntax_typed_by_a_citizen_is_just_text(client, corpus):
    consultation, rows = corpus
    for q in ("NEAR(a b)", "title:données", "données AND", "données )", '"', "*", "^données", "-"):
        response = client.get(f"/consultations/{consultation.slug}/contributions", query_string={"q": q})
        assert response.status_code == 200, q


def test_parse_builds_the_query():
    query = search.parse('Les "dossier médical" -papier données or santé chiffr* l\'hôpital')
    assert [[t.words for t in group] for group in query.groups] == [
        [("dossier", "medical")],
        [("donnees",), ("sante",)],
        [("chiffr",)],
        [("hopital",)],
    ]
    assert [t.words for t in query.excluded] == [("papier",)]
    assert query.groups[2][0].prefix
    assert query.fts() == (
        '(("dossier medical") AND ("donnee"* OR "sante" OR "santes") AND ("chiffr"*) '
        'AND ("hopital"* OR "hopitaux")) NOT ("papier"*)'
    )
    assert search.parse("le la les de").empty
    assert search.number_variants("hopitaux") == ("hopitaux", "hopital")


def test_every_prefix_searched_has_its_fts5_prefix_index():
    """Without an index of the prefix's exact length FTS5 merges every matching word's doclist (94 ms at 100,000)."""
    for length in range(2, 20):
        term = search.parse("b" * length).groups[0][0]
        _, prefixes = term.forms()
        assert all(len(p) in PREFIX_LENGTHS for p in prefixes), length
        assert bool(prefixes) == (length in PREFIX_LENGTHS), length
    # A word longer than the longest index is searched in the singular and plural.
    assert search.parse("anticonstitutionnelles").fts() == '("anticonstitutionnelles" OR "anticonstitutionnelle")'
    assert search.parse("téléconsultations").fts() == '("teleconsultation"*)'
    assert search.parse("numériques").fts() == '("numerique"*)'


def test_the_search_index_of_each_database_is_there(session):
    """SQLite: the FTS5 table with its prefix indexes; PostgreSQL: the GIN index over the stored search vector."""
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_contribution_search'"
        definition = session.exec(text(query)).one()[0]
        assert "USING gin (search_vector)" in definition
        return
    sql = session.exec(text("SELECT sql FROM sqlite_master WHERE name = 'contribution_fts'")).one()[0]
    assert "prefix='6 7 8 9 10 11 12 13 14 15 16 17 18 19 20'" in sql


# ------------------------------------------------------------------------------
# Ranking


def test_relevance_is_the_default_with_a_query_and_other_sorts_stay_available(client, session, corpus):
    consultation, rows = corpus
    ranked = _html_ids(client, consultation, q="téléconsultation")
    # Title and body > title only > body only (the title weighs more than the body).
    assert ranked == [rows["twice"].id, rows["title"].id, rows["body"].id]
    assert _html_ids(client, consultation, q="téléconsultation", sort=RELEVANCE) == ranked
    newest = _html_ids(client, consultation, q="téléconsultation", sort="recent")
    assert newest == [rows["twice"].id, rows["body"].id, rows["title"].id]
    rows["body"].agree_count = 5
    session.add(rows["body"])
    session.commit()
    assert _html_ids(client, consultation, q="téléconsultation", sort="agreed")[0] == rows["body"].id
    # Without a query, "relevance" lists the newest first.
    assert _html_ids(client, consultation) == _html_ids(client, consultation, sort="recent")


def test_relevance_pages_have_no_duplicates_or_gaps(app, client, session, make_consultation, make_user):
    consultation, author = make_consultation(), make_user()
    made = []
    for n in range(27):
        repeats = " ".join(["santé"] * (1 + n % 4))
        made.append(add_contribution(session, consultation, author, title=f"Idée {n}", body=f"Texte {n} : {repeats}."))
    add_contribution(session, consultation, author, title="Autre sujet", body="Sans le mot cherché.")
    html_ids = _html_ids(client, consultation, q="santé")
    assert sorted(html_ids) == sorted(c.id for c in made) and len(set(html_ids)) == 27
    assert _api_ids(app, client, consultation, q="santé", limit=4) == html_ids


def test_api_and_html_list_return_the_same_ids(app, client, session, corpus, make_user):
    consultation, rows = corpus
    hidden = add_contribution(session, consultation, make_user(), title="Téléconsultation masquée", status="hidden")
    for params in (
        {"q": "téléconsultation"},
        {"q": "téléconsultation", "sort": "recent"},
        {"q": "médecin -pharmacie"},
        {"q": "données or rurale"},
        {"q": "le"},
        {"q": "introuvable"},
    ):
        html = _html_ids(client, consultation, **params)
        assert _api_ids(app, client, consultation, **params) == html, params
        assert hidden.id not in html


def test_api_rejects_an_unknown_sort_and_a_cursor_of_another_order(app, client, corpus):
    consultation, _ = corpus
    api = ApiClient(app, client)
    error = api.get("api.contributions", _status=400, slug=consultation.slug, q="santé", sort="pertinence")
    assert "relevance" in error["error"]["details"]["sort"]
    page = api.get("api.contributions", slug=consultation.slug, q="téléconsultation", limit=1)
    assert page["meta"]["sort"] == RELEVANCE
    cursor = page["links"]["next"].split("cursor=")[1]
    api.get(
        "api.contributions", _status=400, slug=consultation.slug, q="téléconsultation", sort="recent", cursor=cursor
    )


# ------------------------------------------------------------------------------
# Highlighting


def test_matched_words_are_marked_and_the_rest_escaped(client, session, make_consultation, make_user):
    consultation, author = make_consultation(), make_user()
    add_contribution(
        session,
        consultation,
        author,
        title="<script>alert(1)</script> Données & santé",
        body="Les <b>données</b> de santé ne se vendent pas.",
    )
    html = client.get(f"/consultations/{consultation.slug}/contributions", query_string={"q": "donnée"}).get_data(
        as_text=True
    )
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>Données</mark> &amp; santé" in html
    assert "&lt;b&gt;<mark>données</mark>&lt;/b&gt;" in html


def test_highlight_and_excerpt():
    query = search.parse("hôpitaux")
    assert search.highlight("Un hôpital, deux hopitaux <3", query) == Markup(
        "Un <mark>hôpital</mark>, deux <mark>hopitaux</mark> &lt;3"
    )
    assert search.highlight("<i>x</i>", None) == Markup("&lt;i&gt;x&lt;/i&gt;")
    long_text = "Introduction. " * 40 + "Les hôpitaux manquent de moyens. " + "Conclusion. " * 10
    excerpt = search.excerpt(long_text, query, length=120)
    assert excerpt.startswith("…") and excerpt.endswith("…") and "hôpitaux" in excerpt and len(excerpt) <= 122
    assert search.excerpt(long_text, None, length=120).startswith("Introduction.")
    assert search.excerpt("court", query) == "court"


def test_highlight_marks_exactly_the_words_whose_folded_form_matches():
    """The marks come from one regex over the original text: they must agree with fold() word by word."""
    query = search.parse("cœur numériques hôpital ÉTÉ")
    text = (
        "Le COEUR et le cœur, Cœurs ; coeurx. Numérique, NUMERIQUES, numériquement, numéro. "
        "L'hôpital, les Hôpitaux, hopitalier ; été, Étés, ete, étêté. <b>&amp;</b>"
    )
    marked = re.findall(r"<mark>(.*?)</mark>", str(search.highlight(text, query)))
    words, prefixes = query.highlight_words()
    expected = [
        w
        for w in re.findall(r"\w+", text)
        if search.fold(w) in words or any(search.fold(w).startswith(p) for p in prefixes)
    ]
    assert marked == expected
    assert "cœur" in marked and "COEUR" in marked and "numériquement" in marked and "numéro" not in marked
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in str(search.highlight(text, query))


def test_relevance_ranks_the_most_recent_candidates_and_other_sorts_see_every_match(
    app, client, session, corpus, monkeypatch
):
    consultation, rows = corpus
    monkeypatch.setattr(search, "CANDIDATES", 2)
    ranked = _html_ids(client, consultation, q="téléconsultation")
    assert ranked == [rows["twice"].id, rows["body"].id]  # the two newest matches, by relevance
    assert _api_ids(app, client, consultation, q="téléconsultation") == ranked
    assert len(_html_ids(client, consultation, q="téléconsultation", sort="recent")) == 3


def test_ranked_candidates_are_the_newest_matches_of_this_list_not_of_the_whole_site(
    app, client, session, corpus, make_consultation, make_user, monkeypatch
):
    consultation, rows = corpus
    other, author = make_consultation(), make_user()
    newer = [add_contribution(session, other, author, title=f"Téléconsultation {n}", body="Ici.") for n in range(3)]
    monkeypatch.setattr(search, "CANDIDATES", 2)
    # The newest matches of the site are in another consultation: this list still ranks its own two newest.
    assert _html_ids(client, consultation, q="téléconsultation") == [rows["twice"].id, rows["body"].id]
    assert _api_ids(app, client, consultation, q="téléconsultation") == [rows["twice"].id, rows["body"].id]
    assert sorted(_html_ids(client, other, q="téléconsultation")) == sorted(c.id for c in newer[1:])
