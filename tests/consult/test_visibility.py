"""One visibility rule: no path shows an unpublished contribution or comment to someone not allowed to read it.

Each HTTP test below reproduces a leak found by the security review (issue 10, defect 3) through a guessable id.
"""

import re
from html import unescape

import pytest
from sqlmodel import select

from consult.comments.services import change_status, create_comment
from consult.models import Comment, CommentStatus, Contribution, ContributionStatus, Role, User

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/consultations/x"}
SECRET_TITLE = "Titre confidentiel 7f3a"
SECRET_BODY = "Texte confidentiel jamais publié 7f3a."
SECRET_COMMENT = "Commentaire confidentiel 9c1e"
NOT_PUBLIC = [
    ContributionStatus.PENDING,
    ContributionStatus.REJECTED,
    ContributionStatus.WITHDRAWN,
    ContributionStatus.HIDDEN,
]


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def assert_nothing_leaks(response, *secrets):
    body = text(response)
    for secret in secrets:
        assert secret not in body, f"{secret!r} leaked with status {response.status_code}"


def assert_number_absent(response, number: int):
    """`number` is not shown as a number: a random CSRF token (letters, digits, '.', '-', '_') may contain its
    digits, so only an occurrence standing on its own (a counter, "41 votes") counts."""
    body = text(response)
    shown = re.findall(rf"(?<![\w.-]){number}(?![\w.-])", body)
    assert not shown, f"{number} shown with status {response.status_code}"


@pytest.fixture
def citizen(make_user, sign_in):
    return sign_in(make_user())


@pytest.fixture
def secret_contribution(make_contribution):
    def make(status, **fields):
        return make_contribution(title=SECRET_TITLE, body=SECRET_BODY, status=status, **fields)

    return make


@pytest.fixture
def comment_on(session, make_user):
    """A comment (published while its contribution was), then the contribution moved to `status`."""

    def make(contribution, status=ContributionStatus.PUBLISHED, author=None, comment_status=None):
        comment = create_comment(
            session=session, contribution=contribution, author=author or make_user(), body=SECRET_COMMENT
        )
        if comment_status:
            change_status(session=session, comment=comment, status=comment_status)
        contribution.status = status
        session.add(contribution)
        session.commit()
        return comment

    return make


# The leaks of the review, one by one


@pytest.mark.parametrize("status", NOT_PUBLIC)
def test_flag_form_of_a_non_public_contribution_is_404(client, citizen, secret_contribution, status):
    contribution = secret_contribution(status)
    for headers in (None, HTMX):
        response = client.get(f"/contributions/{contribution.id}/signaler", headers=headers)
        assert response.status_code == 404
        assert_nothing_leaks(response, SECRET_TITLE, SECRET_BODY)
        posted = client.post(f"/contributions/{contribution.id}/signaler", data={"reason": "autre"}, headers=headers)
        assert posted.status_code == 404
        assert_nothing_leaks(posted, SECRET_TITLE, SECRET_BODY)


def test_flag_form_of_a_hidden_comment_is_404(client, citizen, contribution, comment_on):
    comment = comment_on(contribution, comment_status=CommentStatus.HIDDEN)
    response = client.get(f"/commentaires/{comment.id}/signaler")
    assert response.status_code == 404
    assert_nothing_leaks(response, SECRET_COMMENT)
    posted = client.post(f"/commentaires/{comment.id}/signaler", data={"reason": "autre"})
    assert posted.status_code == 404
    assert_nothing_leaks(posted, SECRET_COMMENT)


@pytest.mark.parametrize("status", NOT_PUBLIC + [ContributionStatus.DUPLICATE])
def test_flag_form_of_a_comment_on_a_non_published_contribution_is_404(
    client, citizen, secret_contribution, comment_on, status
):
    contribution = secret_contribution(ContributionStatus.PUBLISHED)
    comment = comment_on(contribution, status)
    response = client.get(f"/commentaires/{comment.id}/signaler")
    assert response.status_code == 404
    assert_nothing_leaks(response, SECRET_COMMENT, SECRET_TITLE, SECRET_BODY)


@pytest.mark.parametrize("status", NOT_PUBLIC)
@pytest.mark.parametrize("headers", [None, HTMX], ids=["plain", "htmx"])
def test_vote_on_a_non_public_contribution_is_404(client, session, citizen, secret_contribution, status, headers):
    contribution = secret_contribution(status, agree_count=41)
    response = client.post(f"/contributions/{contribution.id}/vote", data={"value": 1}, headers=headers)
    assert response.status_code == 404
    assert_nothing_leaks(response, SECRET_TITLE)
    assert_number_absent(response, 41)
    assert session.exec(select(Contribution.vote_count).where(Contribution.id == contribution.id)).one() == 0


@pytest.mark.parametrize("status", NOT_PUBLIC)
@pytest.mark.parametrize("headers", [None, HTMX], ids=["plain", "htmx"])
def test_comment_on_a_non_public_contribution_is_404(
    client, session, citizen, secret_contribution, comment_on, status, headers
):
    contribution = secret_contribution(ContributionStatus.PUBLISHED)
    comment_on(contribution, status)
    response = client.post(f"/contributions/{contribution.id}/commentaires", data={"body": "Bonjour"}, headers=headers)
    assert response.status_code == 404
    assert_nothing_leaks(response, SECRET_COMMENT, SECRET_TITLE, SECRET_BODY)
    assert len(session.exec(select(Comment)).all()) == 1


@pytest.mark.parametrize(
    "status", [ContributionStatus.HIDDEN, ContributionStatus.WITHDRAWN, ContributionStatus.REJECTED]
)
@pytest.mark.parametrize("headers", [None, HTMX], ids=["plain", "htmx"])
def test_editing_an_old_comment_does_not_show_the_contribution_any_more(
    client, citizen, secret_contribution, comment_on, status, headers
):
    contribution = secret_contribution(ContributionStatus.PUBLISHED)
    comment = comment_on(contribution, status, author=citizen)
    for response in (
        client.get(f"/commentaires/{comment.id}/modifier", headers=headers),
        client.post(f"/commentaires/{comment.id}/modifier", data={"body": "Autre texte"}, headers=headers),
        client.post(f"/commentaires/{comment.id}/supprimer", headers=headers),
    ):
        assert response.status_code == 404
        assert_nothing_leaks(response, SECRET_TITLE, SECRET_BODY)


@pytest.mark.parametrize("status", NOT_PUBLIC)
def test_duplicate_notice_hides_a_kept_contribution_that_is_no_longer_public(
    client, session, citizen, make_contribution, secret_contribution, status
):
    kept = secret_contribution(ContributionStatus.PUBLISHED)
    duplicate = make_contribution(status=ContributionStatus.DUPLICATE, duplicate_of_id=kept.id)
    page = text(client.get(f"/contributions/{duplicate.id}"))
    assert SECRET_TITLE in page  # public while the kept one is published
    kept.status = status
    session.add(kept)
    session.commit()
    response = client.get(f"/contributions/{duplicate.id}")
    assert response.status_code == 200
    assert "reprend une idée déjà proposée" in text(response)
    assert_nothing_leaks(response, SECRET_TITLE)


def test_the_author_and_moderators_still_see_the_kept_contribution(
    client, session, make_user, sign_in, make_contribution, secret_contribution
):
    author = make_user()
    kept = secret_contribution(ContributionStatus.HIDDEN, author=author)
    duplicate = make_contribution(status=ContributionStatus.DUPLICATE, duplicate_of_id=kept.id)
    for viewer in (author, make_user(Role.MODERATOR)):
        sign_in(viewer)
        assert SECRET_TITLE in text(client.get(f"/contributions/{duplicate.id}"))


# Who still sees what (the rule must not over-block either)


@pytest.mark.parametrize("status", NOT_PUBLIC)
def test_author_and_moderator_read_their_non_public_contribution(
    client, make_user, sign_in, secret_contribution, status
):
    author = make_user()
    contribution = secret_contribution(status, author=author)
    assert client.get(f"/contributions/{contribution.id}").status_code == 404  # anonymous
    sign_in(make_user())
    assert client.get(f"/contributions/{contribution.id}").status_code == 404  # another citizen
    for viewer in (author, make_user(Role.MODERATOR), make_user(Role.ADMIN)):
        sign_in(viewer)
        response = client.get(f"/contributions/{contribution.id}")
        assert response.status_code == 200 and SECRET_TITLE in text(response)


def test_vote_of_the_author_on_a_pending_contribution_says_why(client, make_user, sign_in, secret_contribution):
    author = sign_in(make_user())
    contribution = secret_contribution(ContributionStatus.PENDING, author=author)
    response = client.post(f"/contributions/{contribution.id}/vote", data={"value": 1}, headers=HTMX)
    assert response.status_code == 200 and "n'est pas publiée" in text(response)


def test_moderator_reads_hidden_comments_of_a_published_contribution(
    client, make_user, sign_in, contribution, comment_on
):
    comment = comment_on(contribution, comment_status=CommentStatus.HIDDEN)
    assert SECRET_COMMENT not in text(client.get(f"/contributions/{contribution.id}/commentaires"))
    sign_in(make_user(Role.MODERATOR))
    assert SECRET_COMMENT in text(client.get(f"/contributions/{contribution.id}/commentaires"))
    assert client.get(f"/commentaires/{comment.id}/signaler").status_code == 404  # hidden: not flaggable


def test_published_comment_of_a_published_contribution_is_flaggable(client, citizen, contribution, comment_on):
    comment = comment_on(contribution)
    response = client.get(f"/commentaires/{comment.id}/signaler")
    assert response.status_code == 200 and SECRET_COMMENT in text(response)


# The rule itself, and its SQL twins agreeing with it on every combination


def _roles(make_user):
    author = make_user()
    return author, {
        "anonymous": None,
        "citizen": make_user(),
        "author": author,
        "moderator": make_user(Role.MODERATOR),
        "analyst": make_user(Role.ANALYST),
        "admin": make_user(Role.ADMIN),
    }


def test_sql_twins_agree_with_the_rule(session, make_user, make_consultation, make_contribution):
    from consult.visibility import (
        comment_visible_to,
        contribution_visible_to,
        published_comments,
        published_contributions,
        visible_comments,
        visible_contributions,
    )

    author, viewers = _roles(make_user)
    consultation = make_consultation()
    commenter = make_user()
    for status in ContributionStatus:
        contribution = make_contribution(consultation=consultation, author=author, status=status)
        for comment_status in CommentStatus:
            for comment_author in (author, commenter):
                session.add(
                    Comment(
                        contribution_id=contribution.id,
                        author_id=comment_author.id,
                        body="x",
                        status=comment_status,
                    )
                )
    session.commit()
    contributions = session.exec(select(Contribution)).all()
    pairs = session.exec(select(Comment, Contribution).join(Contribution)).all()
    for name, viewer in viewers.items():
        expected = {c.id for c in contributions if contribution_visible_to(viewer, c)}
        got = set(session.exec(select(Contribution.id).where(visible_contributions(viewer))))
        assert got == expected, name
        expected = {m.id for m, c in pairs if comment_visible_to(viewer, m, c)}
        got = set(session.exec(select(Comment.id).where(visible_comments(viewer))))
        assert got == expected, name
        if viewer is None:
            assert set(session.exec(select(Comment.id).where(published_comments()))) == expected
    published = {c.id for c in contributions if c.status == ContributionStatus.PUBLISHED}
    assert set(session.exec(select(Contribution.id).where(published_contributions()))) == published


def test_rule_table(make_user, make_contribution):
    from consult.visibility import comment_visible_to, contribution_visible_to

    author, viewers = _roles(make_user)
    readers = {}
    for status in ContributionStatus:
        contribution = make_contribution(author=author, status=status)
        readers[status] = {name for name, viewer in viewers.items() if contribution_visible_to(viewer, contribution)}
    everyone = set(viewers)
    private = {"author", "moderator", "admin"}
    assert readers == {
        "published": everyone,
        "duplicate": everyone,
        "pending": private,
        "rejected": private,
        "hidden": private,
        "withdrawn": private,
    }
    parent = make_contribution(author=author)
    hidden = Comment(id=1, contribution_id=parent.id, author_id=author.id, body="x", status=CommentStatus.HIDDEN)
    assert {n for n, v in viewers.items() if comment_visible_to(v, hidden, parent)} == private
    deleted = Comment(id=2, contribution_id=parent.id, author_id=author.id, body="", status=CommentStatus.DELETED)
    assert not any(comment_visible_to(v, deleted, parent) for v in viewers.values())
    other = make_contribution()
    published = Comment(id=3, contribution_id=other.id, author_id=author.id, body="x")
    assert not comment_visible_to(None, published, parent)  # a comment is read with its own contribution only
    assert isinstance(viewers["author"], User)
