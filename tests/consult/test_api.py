"""The public JSON API: endpoints, filters, keyset pagination, published-only data, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import SQLModel

from consult.models import ConsultationPhase, ContributionStatus, utcnow
from tests.consult.api_support import ApiClient, contribution_factory
from tests.consult.openapi_check import errors_for

HIDDEN_STATUSES = [s for s in ContributionStatus if s != ContributionStatus.PUBLISHED]


@pytest.fixture
def api(app, client):
    return ApiClient(app, client)


@pytest.fixture
def make_contribution(session, make_user):
    return contribution_factory(session, make_user)


@pytest.fixture
def consultation(make_consultation):
    return make_consultation(slug="numerique-sante", title="Le numérique en santé")


def walk(api, slug, **params):
    """Follow links.next to the end; return every item in order."""
    page = api.get("api.contributions", slug=slug, **params)
    items = list(page["data"])
    while page["links"]["next"]:
        page = api.get(page["links"]["next"].removeprefix("http://localhost"))
        items += page["data"]
    return items


def test_list_consultations(api, consultation, make_consultation):
    make_consultation(slug="bientot", opens_at=utcnow() + timedelta(days=3))
    body = api.get("api.consultations")
    statuses = {c["slug"]: c["status"] for c in body["data"]}
    assert statuses == {"numerique-sante": "open", "bientot": "upcoming"}
    assert body["data"][0]["links"]["contributions"].endswith("/api/v1/consultations/bientot/contributions")


def test_consultation_detail_counts_published_only(api, session, consultation, make_user, make_contribution):
    alice, bob = make_user(), make_user()
    make_contribution(consultation, alice, agree=3, disagree=1, comment_count=2)
    make_contribution(consultation, bob, agree=1, passes=1)
    for status in HIDDEN_STATUSES:
        make_contribution(consultation, bob, agree=50, comment_count=9, status=status)
    session.add(
        ConsultationPhase(
            consultation_id=consultation.id,
            title="Contributions",
            starts_at=utcnow(),
            ends_at=utcnow() + timedelta(days=10),
        )
    )
    session.commit()
    body = api.get("api.consultation", slug="numerique-sante")
    assert body["counts"] == {"contributions": 2, "votes": 6, "comments": 2, "participants": 2}
    assert body["phases"][0]["title"] == "Contributions"
    assert body["description"] == "Une **description**."


def test_unknown_consultation_is_a_json_404(api):
    body = api.get("api.consultation", _status=404, slug="inconnue")
    assert body == {"error": {"code": 404, "message": "Consultation introuvable."}}
    api.get("api.contributions", _status=404, slug="inconnue")


def test_only_published_contributions_and_no_email(api, consultation, make_user, make_contribution):
    author = make_user(email="secret.person@example.fr", pseudonym="Plume")
    shown = make_contribution(consultation, author, title="Visible")
    hidden = [make_contribution(consultation, author, status=s, title=f"Cachée {s}") for s in HIDDEN_STATUSES]
    response = api.client.get(api.url("api.contributions", slug=consultation.slug))
    assert "secret.person" not in response.get_data(as_text=True)
    items = walk(api, consultation.slug, limit=2)
    assert [c["id"] for c in items] == [shown.id]
    assert items[0]["author"] == {"pseudonym": "Plume"}
    for contribution in hidden:
        api.get("api.contribution", _status=404, contribution_id=contribution.id)
        api.get("api.contribution_votes", _status=404, contribution_id=contribution.id)


def test_contribution_detail_and_votes(api, consultation, make_contribution):
    contribution = make_contribution(
        consultation, agree=4, disagree=2, passes=1, theme_id="T09", principles=("P04", "P01")
    )
    body = api.get("api.contribution", contribution_id=contribution.id)
    assert body["theme"] == {"id": "T09", "label": "Intelligence artificielle et algorithmes"}
    assert [p["id"] for p in body["principles"]] == ["P01", "P04"]
    assert {p["source"] for p in body["principles"]} == {"author"}
    assert body["votes"] == {"agree": 4, "disagree": 2, "pass": 1, "total": 7}
    assert body["consultation"] == "numerique-sante"
    votes = api.get("api.contribution_votes", contribution_id=contribution.id)
    assert votes["votes"] == body["votes"]
    assert votes["scores"]["consensus"] == pytest.approx(5 / 8 * (1 - 1 / 8))
    assert votes["scores"]["divisive"] == pytest.approx(2 / 4 * 6)
    api.get("api.contribution", _status=404, contribution_id=999999)


def test_contribution_without_theme(api, consultation, make_contribution):
    body = api.get("api.contribution", contribution_id=make_contribution(consultation).id)
    assert body["theme"] is None
    assert body["principles"] == []


@pytest.fixture
def many(consultation, make_user, make_contribution):
    """27 contributions with many ties on every sort key (same dates, same counts)."""
    users = [make_user() for _ in range(3)]
    base = utcnow() - timedelta(days=1)
    rows = []
    for i in range(27):
        rows.append(
            make_contribution(
                consultation,
                users[i % 3],
                created_at=base + timedelta(minutes=i // 4),  # groups of 4 share a timestamp
                agree=i % 3,
                disagree=(i // 3) % 3,
                passes=i % 2,
                theme_id="T02" if i % 2 else "T10",
                principles=("P06",) if i % 3 == 0 else (),
                title=f"Proposition {i} sur Mon espace santé" if i % 5 == 0 else f"Proposition {i}",
            )
        )
    return rows


EXPECTED_ORDER = {
    "recent": (lambda c: (c.created_at, c.id), True),
    "agree": (lambda c: (c.agree_count, c.id), True),
    "divisive": (lambda c: (c.divisive_score, c.id), True),
    "consensus": (lambda c: (c.consensus_score, c.id), True),
    "least_voted": (lambda c: (c.vote_count, -c.id), False),  # fewest votes, then newest
}


@pytest.mark.parametrize("sort", list(EXPECTED_ORDER))
@pytest.mark.parametrize("limit", [1, 4, 100])
def test_pagination_walk_has_no_duplicates_or_gaps(api, consultation, many, sort, limit):
    items = walk(api, consultation.slug, sort=sort, limit=limit)
    ids = [c["id"] for c in items]
    key, reverse = EXPECTED_ORDER[sort]
    assert ids == [c.id for c in sorted(many, key=key, reverse=reverse)]
    assert len(set(ids)) == len(many)


@pytest.mark.parametrize("sort", list(EXPECTED_ORDER))
def test_filters_combine_with_pagination(api, consultation, many, sort):
    items = walk(api, consultation.slug, sort=sort, limit=3, theme="T02", principle="P06")
    key, reverse = EXPECTED_ORDER[sort]
    expected = [c for c in sorted(many, key=key, reverse=reverse) if c.theme_id == "T02"]
    expected = [c.id for c in expected if int(c.title.split()[1]) % 3 == 0]
    assert [c["id"] for c in items] == expected and expected


def test_next_link_keeps_filters(api, consultation, many):
    page = api.get(
        "api.contributions",
        slug=consultation.slug,
        theme="T10",
        q="proposition",
        limit=2,
        sort="agree",
    )
    assert all(f"{p}=" in page["links"]["next"] for p in ("theme", "q", "limit", "sort", "cursor"))
    assert page["meta"] == {"sort": "agree", "limit": 2, "count": 2}


def test_text_search_is_full_text_without_case_or_accents(api, consultation, many, make_contribution):
    items = walk(api, consultation.slug, q="MON ESPACE SANTE")
    assert sorted(c["title"] for c in items) == sorted(c.title for c in many if "Mon espace" in c.title)
    make_contribution(consultation, title="Un taux de 100% de couverture")
    assert [c["title"] for c in walk(api, consultation.slug, q="100%")] == ["Un taux de 100% de couverture"]
    assert walk(api, consultation.slug, q="_") == []  # nothing searchable: nothing found


def test_last_page_has_no_next_link(api, consultation, many):
    page = api.get("api.contributions", slug=consultation.slug, limit=27)
    assert page["links"]["next"] is None and len(page["data"]) == 27


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "popular"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "dix"}, "limit"),
        ({"cursor": "pas-un-curseur"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # base64 of "[]"
        ({"theme": "T99"}, "theme"),
        ({"principle": "P17"}, "principle"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_parameters_give_a_french_400(api, consultation, params, field):
    body = api.get("api.contributions", _status=400, slug=consultation.slug, **params)
    assert body["error"]["code"] == 400
    assert set(body["error"]["details"]) == {field}


def test_cursor_from_another_sort_is_refused(api, consultation, many):
    page = api.get("api.contributions", slug=consultation.slug, sort="agree", limit=2)
    cursor = page["links"]["next"].split("cursor=")[1]
    body = api.get("api.contributions", _status=400, slug=consultation.slug, sort="recent", cursor=cursor)
    assert "Curseur" in body["error"]["message"]


def test_taxonomy(api):
    body = api.get("api.taxonomy")
    assert len(body["themes"]) == 18 and len(body["principles"]) == 16 and len(body["dimensions"]) == 4
    verified = {p["id"] for p in body["principles"] if p["verified_fr"]}
    assert {"P01", "P02"} <= verified and "P16" not in verified


def test_unknown_api_url_and_wrong_method_answer_json(api, client, consultation):
    body = api.client.get("/api/v1/nulle-part").get_json()
    assert body["error"]["code"] == 404
    response = client.post("/api/v1/consultations")
    assert response.status_code == 405 and response.headers["Allow"]
    assert not errors_for(response.get_json(), {"$ref": "#/components/schemas/Error"}, api.document)
    assert "lecture seule" in response.get_json()["error"]["message"]


def test_html_404_outside_the_api_is_unchanged(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_rate_limit_gives_json_429(database_url):
    from consult import create_app

    app = create_app({"DATABASE_URL": database_url, "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"})
    SQLModel.metadata.create_all(app.extensions["consult.engine"])
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()  # counts as the first request
    statuses = [client.get("/api/v1/consultations").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get("/api/v1/taxonomy")
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    assert not errors_for(response.get_json(), {"$ref": "#/components/schemas/Error"}, document)
    assert response.get_json()["error"]["message"].startswith("Trop de requêtes")
    app.extensions["consult.engine"].dispose()
