"""Anonymisation of an account, on request and after 36 months without sign-in (issue 10, defect 11)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from consult.account.erasure import ANONYMOUS_PSEUDONYM, anonymise_user, anonymous_author
from consult.comments.services import change_status, create_comment
from consult.flags.services import flag_contribution
from consult.models import (
    Comment,
    CommentStatus,
    Contribution,
    ContributionStatus,
    Flag,
    User,
    Vote,
    utcnow,
)
from consult.votes.services import cast_vote
from tests.consult.conftest import PASSWORD


@pytest.fixture
def person(session, make_user, make_consultation, make_contribution, contribution):
    """Someone who took part in every way: contributions in each status, comments, votes, a flag."""
    user = make_user(pseudonym="Dominique Martin", locale="en")
    consultation = make_consultation()
    mine = {
        status: make_contribution(consultation=consultation, author=user, status=status, title=f"Idée {status}")
        for status in ContributionStatus
    }
    published = create_comment(session=session, contribution=contribution, author=user, body="Mon avis publié")
    hidden = create_comment(session=session, contribution=contribution, author=user, body="Mon avis masqué")
    change_status(session=session, comment=hidden, status=CommentStatus.HIDDEN)
    cast_vote(session=session, contribution=contribution, user=user, value=1)
    flag_contribution(
        session=session,
        contribution=contribution,
        user=user,
        reason="autre",
        details="Je connais l'auteur.",
        hide_threshold=99,
    )
    session.commit()
    return user, mine, published, hidden


def test_deletion_anonymises_rather_than_pseudonymises(client, session, sign_in, person, contribution):
    user, mine, published, hidden = person
    sign_in(user)
    assert client.post("/compte/suppression", data={"password": PASSWORD}).status_code == 302
    session.expire_all()
    author = anonymous_author(session=session)
    account = session.get(User, user.id)
    # Nothing left of the person on the account, and no internal id in any name.
    assert (account.email, account.password_hash, account.locale, account.privacy_consent_at) == (None,) * 4
    assert re.fullmatch(r"anonyme-[0-9a-f]{24}", account.pseudonym)  # random: no internal id
    assert account.deleted_at is not None and not account.is_active
    # Public contributions stay, under the shared author; the others are erased.
    kept = {c.status: c.author_id for c in session.exec(select(Contribution).where(Contribution.title.like("Idée %")))}
    assert kept == {"published": author.id, "duplicate": author.id, "hidden": author.id}
    # Comments: the published one stays (shared author), the hidden one loses its text.
    comments = {c.id: c for c in session.exec(select(Comment))}
    assert (comments[published.id].author_id, comments[published.id].body) == (author.id, "Mon avis publié")
    assert (comments[hidden.id].status, comments[hidden.id].body) == (CommentStatus.DELETED, "")
    # The vote still counts, on the account that no longer says who; the flag's words are gone.
    assert session.exec(select(Vote.value).where(Vote.user_id == user.id)).all() == [1]
    assert session.get(Contribution, contribution.id).agree_count == 1
    assert session.exec(select(Flag.details)).all() == [""]
    # The public page shows the shared author, nothing that links texts to each other or to the person.
    html = client.get(f"/contributions/{mine['published'].id}").get_data(as_text=True)
    assert ANONYMOUS_PSEUDONYM in html and "Dominique" not in html and f"#{user.id}" not in html


def test_a_pending_contribution_cannot_be_published_after_deletion(session, person):
    user, mine, _, _ = person
    pending_id = mine[ContributionStatus.PENDING].id
    anonymise_user(session=session, user=user)
    session.commit()
    session.expire_all()
    assert session.get(Contribution, pending_id) is None


def test_a_duplicate_pointing_to_an_erased_contribution_is_kept(session, person, make_contribution):
    user, mine, _, _ = person
    withdrawn = mine[ContributionStatus.WITHDRAWN]
    other = make_contribution(status=ContributionStatus.DUPLICATE, duplicate_of_id=withdrawn.id)
    other_id = other.id
    anonymise_user(session=session, user=user)
    session.commit()
    session.expire_all()
    assert session.get(Contribution, other_id).duplicate_of_id is None


def test_two_deleted_people_share_one_author_and_nothing_else(session, make_user, make_contribution):
    first, second = make_user(), make_user()
    a, b = make_contribution(author=first), make_contribution(author=second)
    for user in (first, second):
        anonymise_user(session=session, user=user)
    session.commit()
    session.expire_all()
    author = anonymous_author(session=session)
    assert {session.get(Contribution, a.id).author_id, session.get(Contribution, b.id).author_id} == {author.id}
    assert session.exec(select(func.count()).select_from(User).where(User.pseudonym == ANONYMOUS_PSEUDONYM)).one() == 1
    assert anonymous_author(session=session).email is None


@pytest.mark.parametrize("pseudonym", ["Participant anonyme", "participant ANONYME 2", "anonyme-1234"])
def test_the_anonymous_names_are_reserved(client, session, pseudonym):
    data = {"email": "x@example.fr", "pseudonym": pseudonym, "password": PASSWORD, "consent": "y"}
    response = client.post("/inscription", data=data)
    assert response.status_code == 422 and "réservé" in response.get_data(as_text=True)


def test_the_shared_author_cannot_sign_in_or_be_erased(client, session):
    author = anonymous_author(session=session)
    session.commit()
    anonymise_user(session=session, user=author)
    assert author.pseudonym == ANONYMOUS_PSEUDONYM and author.password_hash is None


# The scheduled purge: what the privacy notice promises 36 months after the last sign-in


PURGE = "comptes inactifs (anonymisés)"


def test_purge_anonymises_accounts_inactive_for_36_months(runner, session, make_user, make_contribution):
    now = utcnow()
    stale = make_user(pseudonym="Ancien", last_login_at=now - timedelta(days=1100))
    never = make_user(pseudonym="Jamais venu", created_at=now - timedelta(days=1100))
    recent = make_user(pseudonym="Récent", last_login_at=now - timedelta(days=1000))
    legacy = make_user(pseudonym="Participant anonyme #77", email=None, deleted_at=now - timedelta(days=3))
    text_id = make_contribution(author=legacy).id
    ids = {"stale": stale.id, "never": never.id, "recent": recent.id, "legacy": legacy.id}
    dry = runner.invoke(args=["purge", "--dry-run", "--only", PURGE])
    assert f"{PURGE} : 3 à traiter" in dry.output
    session.expire_all()
    assert session.get(User, ids["stale"]).pseudonym == "Ancien"  # a dry run changes nothing
    result = runner.invoke(args=["purge", "--only", PURGE])
    assert result.exit_code == 0 and f"{PURGE} : 3 traité(s)" in result.output
    session.expire_all()
    names = {key: session.get(User, user_id).pseudonym for key, user_id in ids.items()}
    assert names["recent"] == "Récent"
    assert all(names[key].startswith("anonyme-") for key in ("stale", "never", "legacy"))
    assert session.get(Contribution, text_id).author_id == anonymous_author(session=session).id
    assert f"{PURGE} : 0 traité(s)" in runner.invoke(args=["purge", "--only", PURGE]).output  # idempotent


def test_retention_period_comes_from_the_configuration(make_app, app, session, make_user):
    user = make_user(last_login_at=utcnow() - timedelta(days=40))
    short = make_app(DATA_RETENTION_MONTHS=1)
    assert "1 traité(s)" in short.test_cli_runner().invoke(args=["purge", "--only", PURGE]).output
    session.expire_all()
    assert session.get(User, user.id).email is None


def test_privacy_notice_and_account_page_say_what_happens(client, make_user, sign_in):
    notice = client.get("/confidentialite").get_data(as_text=True)
    assert "36 mois" in notice and "anonymisés" in notice and "consult purge" not in notice
    sign_in(make_user())
    page = client.get("/compte/").get_data(as_text=True)
    assert "Participant anonyme" in page and "effacées" in page
