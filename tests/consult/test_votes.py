"""Votes: routes, htmx partial, error paths, counters and scores, template, RGPD export."""

from datetime import timedelta
from html import unescape

import pytest
from sqlmodel import select

from consult.models import Contribution, ContributionStatus, Vote, utcnow
from consult.votes import services

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/contributions/1"}


@pytest.fixture
def voter(make_user, client):
    user = make_user()
    with client.session_transaction() as http_session:
        # Signing in through the form costs an argon2 hash per test: set the session directly.
        http_session["user_id"] = user.id
        http_session["user_version"] = user.session_version
    return user


def vote(client, contribution, value, headers=None, **data):
    return client.post(f"/contributions/{contribution.id}/vote", data={"value": value, **data}, headers=headers)


def fresh(session, contribution) -> Contribution:
    session.expire_all()
    return session.get(Contribution, contribution.id)


def test_anonymous_vote_goes_to_login_and_back(client, contribution):
    response = vote(client, contribution, 1, next="/contributions/1")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/connexion?next=/contributions/1")


def test_anonymous_htmx_vote_redirects_the_page(client, contribution):
    response = vote(client, contribution, 1, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/connexion?next=/contributions/1"


def test_vote_without_javascript_redirects_back(client, session, voter, contribution):
    response = vote(client, contribution, 1, next="/consultations/x/contributions?tri=recent")
    assert response.status_code == 303
    assert response.headers["Location"] == "/consultations/x/contributions?tri=recent"
    row = fresh(session, contribution)
    assert (row.agree_count, row.disagree_count, row.pass_count, row.vote_count) == (1, 0, 0, 1)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_vote_never_redirects_off_site(client, voter, contribution, next_url):
    response = vote(client, contribution, 0, next=next_url)
    assert response.headers["Location"] == f"/contributions/{contribution.id}/commentaires"


def test_vote_is_changeable_and_counts_move(client, session, voter, contribution):
    for value, expected in [
        (1, (1, 0, 0, 1)),
        (-1, (0, 1, 0, 1)),
        (-1, (0, 1, 0, 1)),
        (0, (0, 0, 1, 1)),
    ]:
        vote(client, contribution, value)
        row = fresh(session, contribution)
        assert (row.agree_count, row.disagree_count, row.pass_count, row.vote_count) == expected
    votes = session.exec(select(Vote).where(Vote.contribution_id == contribution.id)).all()
    assert [(v.user_id, v.value) for v in votes] == [(voter.id, 0)]


def test_htmx_vote_returns_the_component_only(client, voter, contribution):
    response = vote(client, contribution, -1, headers=HTMX)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "<html" not in html
    assert html.lstrip().startswith(
        f'<div class="consult-votes fr-mb-2w" id="votes-{contribution.id}" hx-target="this"'
    )
    assert html.count('aria-pressed="true"') == 1
    pressed = html.split('aria-pressed="true"')[1].split("</button>")[0]
    assert "Pas d'accord" in pressed and ">1</span>" in pressed
    assert "Votre vote est enregistré." in html


@pytest.mark.parametrize("value", ["2", "abc", ""])
def test_invalid_value_is_a_bad_request(client, voter, contribution, value):
    assert vote(client, contribution, value).status_code == 400


def test_unknown_contribution_404(client, voter):
    assert client.post("/contributions/999999/vote", data={"value": 1}).status_code == 404


def test_closed_consultation_refuses_with_409(client, session, voter, make_consultation, make_contribution):
    now = utcnow()
    closed = make_consultation(opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1))
    contribution = make_contribution(closed, agree_count=2, vote_count=2)
    response = vote(client, contribution, 1)
    assert response.status_code == 409
    assert "Cette consultation est close : il n'est plus possible de voter." in unescape(
        response.get_data(as_text=True)
    )
    assert fresh(session, contribution).agree_count == 2
    assert session.exec(select(Vote)).all() == []


def test_closed_consultation_htmx_shows_the_reason_in_place(client, voter, make_consultation, make_contribution):
    now = utcnow()
    closed = make_consultation(opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1))
    contribution = make_contribution(closed)
    response = vote(client, contribution, 1, headers=HTMX)
    # htmx 2 does not swap 4xx responses: the refusal comes back as 200 inside the component.
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "Cette consultation est close" in html and 'role="alert"' in html
    assert "<button" not in html


def test_upcoming_consultation_refuses(client, voter, make_consultation, make_contribution):
    now = utcnow()
    upcoming = make_consultation(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=10))
    assert vote(client, make_contribution(upcoming), 1).status_code == 409


@pytest.mark.parametrize("status", [s for s in ContributionStatus if s != ContributionStatus.PUBLISHED])
def test_unpublished_contribution_refuses(client, session, voter, make_contribution, status):
    # Its author may read it, so is told why (others get a 404: see test_visibility).
    contribution = make_contribution(status=status, author=voter)
    response = vote(client, contribution, 1)
    assert response.status_code == 409
    assert "Cette contribution n'est pas publiée" in unescape(response.get_data(as_text=True))
    assert session.exec(select(Vote)).all() == []


def test_scores_follow_the_formulas(app, session, make_user, contribution):
    users = [make_user() for _ in range(6)]
    for user, value in zip(users, [1, 1, 1, -1, -1, 0], strict=True):
        services.cast_vote(session=session, contribution=contribution, user=user, value=value)
        session.commit()
    services.cast_vote(session=session, contribution=contribution, user=users[5], value=-1)
    session.commit()
    row = fresh(session, contribution)
    assert (row.agree_count, row.disagree_count, row.pass_count, row.vote_count) == (3, 3, 0, 6)
    assert row.consensus_score == pytest.approx(services.consensus_score(3, 3, 6))
    assert row.divisive_score == pytest.approx(services.divisive_score(3, 3)) == pytest.approx(6.0)


def test_scores_of_a_single_vote(session, make_user, contribution):
    services.cast_vote(session=session, contribution=contribution, user=make_user(), value=1)
    session.commit()
    row = fresh(session, contribution)
    assert row.consensus_score == pytest.approx(2 / 3 * 1 / 2)
    assert row.divisive_score == 0


def test_cast_vote_keeps_the_loaded_object_current(session, make_user, contribution):
    services.cast_vote(session=session, contribution=contribution, user=make_user(), value=1)
    assert contribution.agree_count == 1 and contribution.vote_count == 1
    # Not dirty: a later flush must not write absolute values over concurrent increments.
    assert contribution not in session.dirty


def test_votes_by_user_in_one_query(session, make_user, make_contribution, contribution):
    user = make_user()
    other = make_contribution()
    services.cast_vote(session=session, contribution=contribution, user=user, value=1)
    services.cast_vote(session=session, contribution=other, user=user, value=0)
    session.commit()
    assert services.votes_by_user(session=session, user=user, contribution_ids=[contribution.id, other.id]) == {
        contribution.id: 1,
        other.id: 0,
    }
    assert services.votes_by_user(session=session, user=None, contribution_ids=[contribution.id]) == {}
    assert services.vote_of(session=session, contribution_id=other.id, user=user) == 0


def test_template_for_anonymous_shows_counts_and_login_link(app, make_contribution):
    contribution = make_contribution(agree_count=4, disagree_count=2, pass_count=1, vote_count=7)
    from flask import render_template

    with app.test_request_context("/contributions/1"):
        app.preprocess_request()
        html = render_template("votes/_vote_buttons.html", contribution=contribution)
    assert "<button" not in html
    html = unescape(html)
    assert "D'accord : 4" in html and "Pas d'accord : 2" in html and "Passer : 1" in html
    assert "Connectez-vous pour voter" in html and "next=/contributions/1" in html


def test_template_uses_my_votes_of_a_list(app, client, voter, make_contribution):
    contribution = make_contribution()
    from flask import render_template

    with app.test_request_context("/"):
        from flask import g

        g.user = voter
        html = render_template(
            "votes/_vote_buttons.html",
            contribution=contribution,
            my_votes={contribution.id: 0},
            current_user=voter,
        )
    assert html.count('aria-pressed="true"') == 1
    assert 'value="0" aria-pressed="true"' in html


def test_csrf_is_required_and_accepted_from_the_htmx_header(app, client, voter, contribution):
    app.config["WTF_CSRF_ENABLED"] = True
    assert vote(client, contribution, 1).status_code == 400
    page = client.get(f"/contributions/{contribution.id}/commentaires").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = vote(client, contribution, 1, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200 and 'aria-pressed="true"' in unescape(response.get_data(as_text=True))


def test_export_and_account_deletion_keep_votes(session, make_user, contribution):
    from consult.account.services import delete_account, export_user_data
    from tests.consult.conftest import PASSWORD

    user = make_user()
    services.cast_vote(session=session, contribution=contribution, user=user, value=-1)
    session.commit()
    exported = export_user_data(session=session, user=user)
    assert exported["votes"] == [
        {
            "contribution_id": contribution.id,
            "value": "pas d'accord",
            "created_at": exported["votes"][0]["created_at"],
            "updated_at": exported["votes"][0]["updated_at"],
        }
    ]
    delete_account(session=session, user=user, password=PASSWORD)
    session.commit()
    assert fresh(session, contribution).disagree_count == 1
    assert session.exec(select(Vote.value).where(Vote.user_id == user.id)).all() == [-1]


def test_writes_are_rate_limited(database_url):
    """Votes, comments and flags all answer 429 past RATE_LIMIT_WRITE (per route and address)."""
    from sqlmodel import Session, SQLModel

    from consult import create_app
    from consult.models import Consultation, User

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATE_LIMIT_WRITE": "2 per minute",
        }
    )
    engine = app.extensions["consult.engine"]
    SQLModel.metadata.create_all(engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            now = utcnow()
            user = User(email="limite@example.fr", pseudonym="Limite")
            consultation = Consultation(
                slug="limite",
                title="T",
                summary="S",
                question="Q",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=1),
            )
            session.add_all([user, consultation])
            session.flush()
            contribution = Contribution(consultation_id=consultation.id, author_id=user.id, title="T", body="B")
            session.add(contribution)
            session.commit()
        client = app.test_client()
        with client.session_transaction() as http_session:
            http_session["user_id"], http_session["user_version"] = user.id, user.session_version
        writes = {
            f"/contributions/{contribution.id}/vote": {"value": 1},
            f"/contributions/{contribution.id}/commentaires": {"body": "x"},
            f"/contributions/{contribution.id}/signaler": {"reason": ""},
        }
        for path, data in writes.items():
            codes = [client.post(path, data=data).status_code for _ in range(3)]
            assert codes[-1] == 429 and 429 not in codes[:2], (path, codes)
        assert client.get(f"/contributions/{contribution.id}/commentaires").status_code == 200
    finally:
        engine.dispose()
