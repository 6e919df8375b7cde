"""Input the database cannot hold gets a 4xx with a French message, never a 500 (issue 10, defect 9).

Runs on SQLite and on PostgreSQL (scripts/test.sh), where NUL bytes and over-long values used to fail.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest
from sqlalchemy import text
from sqlmodel import select

from consult.db import make_engine
from consult.models import Comment, Contribution, ContributionStatus, Role, User
from tests.consult.conftest import PASSWORD

HUGE_IDS = ["9223372036854775808", "99999999999999999999999", "1" + "0" * 40]


def _routes_with_ids(app):
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _path(rule, value: str) -> str:
    path = rule.rule
    for argument in rule.arguments:
        replacement = value if f"<int:{argument}>" in path else "x"
        path = path.replace(f"<int:{argument}>", replacement).replace(f"<{argument}>", replacement)
    return path


def test_ids_beyond_64_bits_are_404_on_every_route(client, make_user, sign_in):
    sign_in(make_user(Role.ADMIN))
    checked = 0
    for rule, method in _routes_with_ids(client.application):
        for value in HUGE_IDS:
            response = client.open(_path(rule, value), method=method, data={"value": "1"})
            # 405 when the same URL pattern exists for other methods: the URL is refused before any view.
            assert response.status_code in (404, 405), (rule.rule, method, value, response.status_code)
            checked += 1
    assert checked > 40  # every <int:…> route was tried


@pytest.mark.parametrize("big_id", [2**31 - 1, 2**31, 2**63 - 1])
def test_the_largest_ids_are_a_plain_404(client, big_id):
    # PostgreSQL's integer id columns stop at 2**31 - 1: a larger id must not reach the database.
    assert client.get(f"/contributions/{big_id}").status_code == 404
    response = client.get(f"/api/v1/contributions/{big_id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == 404


@pytest.mark.parametrize("name", ["moderator", "consultation", "contribution", "before"])
def test_moderation_journal_and_queue_filters_beyond_the_database_integers(client, make_user, sign_in, name):
    # Found by tests/consult/test_fuzz.py on PostgreSQL: ?moderator=2147483648 reached an integer column (500).
    sign_in(make_user(Role.MODERATOR))
    for value in (str(2**31), str(2**62)):
        assert client.get("/moderation/journal", query_string={name: value}).status_code == 200
        assert client.get("/moderation/journal.csv", query_string={name: value}).status_code == 200
        assert client.get("/moderation/", query_string={"consultation": value, "page": value}).status_code == 200


def _b64(raw: str | bytes) -> str:
    return base64.urlsafe_b64encode(raw if isinstance(raw, bytes) else raw.encode()).decode().rstrip("=")


BAD_LIST_CURSORS = [
    ("recent", _b64("2026-01-01T00:00:00+00:00|99999999999999999999999")),
    ("recent", _b64("9999-12-31T23:59:59-14:00|5")),  # out of range once moved to UTC
    ("recent", _b64("0001-01-01T00:00:00+14:00|5")),
    ("recent", _b64("2026-01-01T00:00:00|5")),  # naive
    ("agreed", _b64("99999999999999999999999|5")),
    ("divisive", _b64("inf|5")),
    ("divisive", _b64("nan|5")),
    ("divisive", _b64("1e999|5")),
    ("recent", _b64("2026-01-01T00:00:00+00:00|-1")),
    ("recent", "A" * 5000),
    ("recent", "%%%%"),
]


@pytest.mark.parametrize(("sort", "cursor"), BAD_LIST_CURSORS)
def test_crafted_list_cursors_are_400(client, make_consultation, sort, cursor):
    consultation = make_consultation()
    response = client.get(
        f"/consultations/{consultation.slug}/contributions", query_string={"sort": sort, "after": cursor}
    )
    assert response.status_code == 400


BAD_API_CURSORS = [
    ("recent", _b64(json.dumps(["recent", "2026-01-01T00:00:00+00:00", 10**30]))),
    ("recent", _b64(json.dumps(["recent", "9999-12-31T23:59:59-14:00", 5]))),
    ("agree", _b64(json.dumps(["agree", 10**30, 5]))),
    ("agree", _b64(json.dumps(["agree", True, 5]))),
    ("agree", _b64(json.dumps(["agree", "7", 5]))),
    ("divisive", _b64('["divisive", Infinity, 5]')),
    ("divisive", _b64('["divisive", NaN, 5]')),
    ("recent", _b64("[" * 100_000 + "]" * 100_000)),  # deeply nested: the decoder's recursion limit
    ("recent", _b64(json.dumps({"a": [1, 2, 3]}))),
    ("recent", "A" * 5000),
]


@pytest.mark.parametrize(("sort", "cursor"), BAD_API_CURSORS)
def test_crafted_api_cursors_are_json_400(client, make_consultation, sort, cursor):
    consultation = make_consultation()
    response = client.get(
        f"/api/v1/consultations/{consultation.slug}/contributions", query_string={"sort": sort, "cursor": cursor}
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == 400 and "Curseur" in error["message"]


def test_masked_title_longer_than_the_limit_is_refused_not_stored(
    client, session, make_user, sign_in, make_consultation
):
    sign_in(make_user())
    consultation = make_consultation()
    # 138 characters whose e-mail addresses are each masked by a longer placeholder ("[courriel]").
    title = "Écrivez à a@b.fr, c@d.fr, e@f.fr, g@h.fr ou i@j.fr : "
    title += "x" * (138 - len(title))
    data = {
        "title": title,
        "body": "Un texte assez long pour être une contribution valable.",
        "redact_personal_data": "y",
    }
    response = client.post(f"/consultations/{consultation.slug}/contribuer", data=data)
    assert response.status_code == 422, response.status_code
    assert "raccourcissez-le" in response.get_data(as_text=True)
    assert session.exec(select(Contribution)).all() == []


def test_email_over_254_characters_is_a_form_error(client, session, caplog):
    email = "a@" + "b" * 250 + ".fr"
    with caplog.at_level(logging.ERROR):
        response = client.post(
            "/inscription",
            data={"email": email, "pseudonym": "Quelqu'un", "password": PASSWORD, "consent": "y"},
        )
    assert response.status_code == 422
    assert "adresse électronique valide" in response.get_data(as_text=True)
    assert session.exec(select(User)).all() == []
    assert email not in caplog.text


@pytest.mark.parametrize("kept", ["²", "٣", "1" * 30, "-1", "0x10", "#"])
def test_merge_with_a_strange_kept_number_is_a_form_error(client, session, make_user, sign_in, contribution, kept):
    sign_in(make_user(Role.MODERATOR))
    response = client.post(
        f"/moderation/contributions/{contribution.id}/fusionner",
        data={"kept": kept, "version": contribution.version},
    )
    assert response.status_code == 422
    session.expire_all()
    assert session.get(Contribution, contribution.id).status == ContributionStatus.PUBLISHED


@pytest.mark.parametrize("page_number", ["99999999999999999999", "-3", "²", "abc"])
def test_admin_user_pages_out_of_range(client, make_user, sign_in, page_number):
    sign_in(make_user(Role.ADMIN))
    assert client.get("/admin/utilisateurs", query_string={"page": page_number}).status_code == 200


def test_admin_user_search_with_a_huge_or_wildcard_query(client, make_user, sign_in):
    # Found by tests/consult/test_fuzz.py: 40,000 characters made SQLite's LIKE fail ("pattern too complex", 503).
    sign_in(make_user(Role.ADMIN, pseudonym="Admin"))
    make_user(pseudonym="Taux 50% atteint")
    make_user(pseudonym="Taux 500 atteint")
    assert client.get("/admin/utilisateurs", query_string={"q": "é " * 20_000}).status_code == 200
    found = client.get("/admin/utilisateurs", query_string={"q": "50%"}).get_data(as_text=True)
    assert "Taux 50% atteint" in found and "Taux 500 atteint" not in found  # % is a character, not a wildcard


def test_reply_to_a_huge_comment_id_is_400(client, make_user, sign_in, contribution):
    sign_in(make_user())
    response = client.post(
        f"/contributions/{contribution.id}/commentaires", data={"body": "Bonjour", "parent_id": "9" * 30}
    )
    assert response.status_code == 400


# NUL bytes and other control characters (PostgreSQL refuses NUL in text)


def test_nul_bytes_are_removed_from_what_people_send(client, session, make_user, sign_in, contribution):
    sign_in(make_user())
    response = client.post(
        f"/contributions/{contribution.id}/commentaires", data={"body": "Bon\x00jour\x07 à\ttous\r\n!"}
    )
    assert response.status_code == 303
    assert session.exec(select(Comment.body)).one() == "Bonjour à\ttous\r\n!"


@pytest.mark.parametrize(
    "path",
    [
        "/consultations/a%00b",
        "/consultations/a%00b/contributions",
        "/api/v1/consultations/a%00b",
        "/langue/f%00r",
        "/consultations/?q=%00",
    ],
)
def test_nul_bytes_in_urls_never_reach_the_database(client, path):
    assert client.get(path).status_code in (200, 302, 404)


def test_nul_bytes_in_query_parameters(client, contribution):
    consultation = client.get(f"/api/v1/contributions/{contribution.id}").get_json()["consultation"]
    for params in ({"q": "don\x00nées"}, {"theme": "T0\x001"}, {"principle": "\x00"}, {"sort": "\x00"}):
        assert client.get(f"/consultations/{consultation}/contributions", query_string=params).status_code == 200
        api = client.get(f"/api/v1/consultations/{consultation}/contributions", query_string=params)
        assert api.status_code in (200, 400) and api.is_json


def test_signup_with_nul_bytes(client, session):
    response = client.post(
        "/inscription",
        data={"email": "nul\x00@example.fr", "pseudonym": "Nu\x00l", "password": PASSWORD, "consent": "y"},
    )
    assert response.status_code in (200, 302, 303, 422)
    for user in session.exec(select(User)):
        assert "\x00" not in (user.email or "") + user.pseudonym


# The JSON API answers JSON, in French, whatever fails


def test_api_errors_are_json_even_outside_the_views(make_app, app, monkeypatch):
    production_like = make_app(TESTING=False, RATELIMIT_ENABLED=True, API_RATE_LIMIT="1 per minute")
    client = production_like.test_client()
    for response, code in (
        (client.get("/api/v1/inconnu"), 404),
        (client.post("/api/v1/consultations"), 405),
        (client.get("/api/v1/consultations/%00"), 404),
        (client.get("/api/v1/taxonomy"), 200),
        (client.get("/api/v1/taxonomy"), 429),
    ):
        assert response.status_code == code and response.is_json, (code, response.status_code)
        if code != 200:
            assert response.get_json()["error"]["code"] == code

    from consult.api import services

    def broken(**_):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "list_consultations", broken)
    response = make_app(TESTING=False).test_client().get("/api/v1/consultations")
    assert response.status_code == 500 and response.is_json
    assert response.get_json()["error"]["message"] == "Erreur interne du service."
    assert "<html" in client.get("/inconnu").get_data(as_text=True)  # the site keeps its HTML pages


def test_database_errors_never_carry_the_values(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection, pytest.raises(Exception) as raised:
        connection.execute(text("SELECT * FROM missing WHERE email = :email"), {"email": "secret@example.fr"})
    assert "secret@example.fr" not in str(raised.value)
    engine.dispose()
