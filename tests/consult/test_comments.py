"""Comments: thread page and partial, posting, replies, edit and delete, moderation status, RGPD."""

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import event
from sqlmodel import select

from consult.comments import services
from consult.models import (
    Comment,
    CommentStatus,
    Contribution,
    ContributionStatus,
    ModerationMode,
    Role,
    utcnow,
)

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/contributions/1"}


@pytest.fixture
def author(make_user, sign_in):
    return sign_in(make_user())


@pytest.fixture
def add_comment(session):
    def add(contribution, user, body="Un commentaire.", **fields) -> Comment:
        comment = services.create_comment(
            session=session,
            contribution=contribution,
            author=user,
            body=body,
            parent_id=fields.pop("parent_id", None),
        )
        for name, value in fields.items():
            setattr(comment, name, value)
        session.add(comment)
        session.commit()
        return comment

    return add


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def post(client, contribution, body, headers=None, **data):
    return client.post(
        f"/contributions/{contribution.id}/commentaires",
        data={"body": body, **data},
        headers=headers,
    )


def reload(session, model, id_):
    session.expire_all()
    return session.get(model, id_)


# Reading


def test_thread_page_for_anonymous(client, make_user, add_comment, contribution):
    add_comment(contribution, make_user(pseudonym="Camille"), body="Bonne idée <script>alert(1)</script>")
    response = client.get(f"/contributions/{contribution.id}/commentaires")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and "Camille" in html and "1 commentaire" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Connectez-vous pour commenter" in html and "<textarea" not in html


def test_thread_partial_for_htmx(client, contribution):
    response = client.get(f"/contributions/{contribution.id}/commentaires", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<section class="fr-mt-4w" id="comments-{contribution.id}"')


def test_thread_unknown_or_unpublished_404(client, make_contribution):
    assert client.get("/contributions/999999/commentaires").status_code == 404
    pending = make_contribution(status=ContributionStatus.PENDING)
    assert client.get(f"/contributions/{pending.id}/commentaires").status_code == 404


def test_thread_loads_comments_and_authors_in_one_query(app, session, make_user, add_comment, contribution):
    for _ in range(5):
        parent = add_comment(contribution, make_user())
        add_comment(contribution, make_user(), parent_id=parent.id)
    session.expire_all()
    contribution = session.get(Contribution, contribution.id)
    statements = []
    engine = app.extensions["consult.engine"]
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        thread = services.load_thread(session=session, contribution=contribution, viewer=None)
        names = [thread.authors[c.author_id].pseudonym for c in thread.comments]
        names += [thread.authors[r.author_id].pseudonym for rs in thread.replies.values() for r in rs]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(names) == 10 and thread.count == 10
    comment_queries = [s for s in statements if "FROM comment" in s]
    assert len(comment_queries) == 1 and len(statements) <= 2  # + the consultation, unless already loaded


def test_contribution_page_includes_the_thread(client, make_user, add_comment, contribution):
    add_comment(contribution, make_user(), body="Visible sur la page de la contribution.")
    html = client.get(f"/contributions/{contribution.id}").get_data(as_text=True)
    assert f'id="comments-{contribution.id}"' in html and "Visible sur la page de la contribution." in html


# Posting


def test_anonymous_post_goes_to_login(client, contribution):
    response = post(client, contribution, "Bonjour", next=f"/contributions/{contribution.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/connexion?next=/contributions/{contribution.id}"


def test_post_without_javascript(client, session, author, contribution):
    response = post(client, contribution, "  Un avis argumenté.  ", next=f"/contributions/{contribution.id}")
    comment = session.exec(select(Comment)).one()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/contributions/{contribution.id}#comment-{comment.id}"
    assert (comment.body, comment.status, comment.author_id) == (
        "Un avis argumenté.",
        "published",
        author.id,
    )
    assert reload(session, Contribution, contribution.id).comment_count == 1
    page = text(client.get(f"/contributions/{contribution.id}/commentaires"))
    assert "Votre commentaire est publié." in page and "Un avis argumenté." in page


def test_post_with_htmx_swaps_the_thread(client, author, contribution):
    response = post(client, contribution, "Par htmx.", headers=HTMX)
    html = text(response)
    assert response.status_code == 200 and "<html" not in html
    assert "Par htmx." in html and "Votre commentaire est publié." in html and "1 commentaire" in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a", "Écrivez un commentaire d'au moins 2 caractères."),
        ("   \n ", "Écrivez un commentaire d'au moins 2 caractères."),
        (
            "x" * 2001,
            "Votre commentaire fait 2001 caractères : raccourcissez-le à 2 000 caractères au plus.",
        ),
    ],
)
def test_validation_keeps_the_text(client, session, author, contribution, body, message):
    response = post(client, contribution, body)
    html = text(response)
    assert response.status_code == 422
    assert message in html and 'aria-invalid="true"' in html
    assert f">{body}</textarea>" in html
    assert session.exec(select(Comment)).all() == []


def test_validation_with_htmx_answers_200_in_the_thread(client, author, contribution):
    response = post(client, contribution, "a", headers=HTMX)
    assert response.status_code == 200
    assert "au moins 2 caractères" in text(response) and "<html" not in text(response)


@pytest.mark.parametrize("length", [2, 2000])
def test_length_limits_are_inclusive(client, session, author, contribution, length):
    assert post(client, contribution, "é" * length).status_code == 303
    assert len(session.exec(select(Comment)).one().body) == length


def test_replies_are_one_level_deep(client, session, author, make_user, add_comment, contribution):
    parent = add_comment(contribution, make_user(), body="Premier")
    reply = add_comment(contribution, make_user(), body="Réponse", parent_id=parent.id)
    post(client, contribution, "Réponse à la réponse", parent_id=reply.id)
    last = session.exec(select(Comment).where(Comment.author_id == author.id)).one()
    assert last.parent_id == parent.id
    thread = services.load_thread(session=session, contribution=contribution, viewer=author)
    assert [c.body for c in thread.comments] == ["Premier"]
    assert [c.body for c in thread.replies[parent.id]] == ["Réponse", "Réponse à la réponse"]


def test_reply_errors_show_in_the_reply_form(client, author, make_user, add_comment, contribution):
    parent = add_comment(contribution, make_user())
    html = text(post(client, contribution, "a", parent_id=parent.id))
    assert f'id="reply-body-{parent.id}"' in html and "<details open>" in html


def test_reply_to_another_contribution_is_refused(
    client, author, make_user, make_contribution, add_comment, contribution
):
    elsewhere = add_comment(make_contribution(), make_user())
    for parent_id in [elsewhere.id, 999999]:
        response = post(client, contribution, "Une réponse", parent_id=parent_id)
        assert response.status_code == 422
        assert "Le commentaire auquel vous répondez n'est plus disponible." in text(response)


def test_premoderated_comment_waits(client, session, author, make_user, sign_in, make_consultation, make_contribution):
    contribution = make_contribution(make_consultation(moderation=ModerationMode.PRE))
    response = post(client, contribution, "En attente.", headers=HTMX)
    assert "sera publié après validation" in text(response) and "En attente de modération" in text(response)
    assert session.exec(select(Comment)).one().status == CommentStatus.PENDING
    assert reload(session, Contribution, contribution.id).comment_count == 0
    sign_in(make_user())
    assert "En attente." not in text(client.get(f"/contributions/{contribution.id}/commentaires"))
    moderator = sign_in(make_user(role=Role.MODERATOR))
    assert moderator and "En attente." in text(client.get(f"/contributions/{contribution.id}/commentaires"))


def test_closed_consultation_refuses_with_409(client, session, author, make_consultation, make_contribution):
    now = utcnow()
    closed = make_consultation(opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    contribution = make_contribution(closed)
    response = post(client, contribution, "Trop tard.")
    assert response.status_code == 409
    assert "Cette consultation n'est pas ouverte : il n'est pas possible de commenter." in text(response)
    htmx_response = post(client, contribution, "Trop tard.", headers=HTMX)
    assert htmx_response.status_code == 200 and 'role="alert"' in text(htmx_response)
    assert session.exec(select(Comment)).all() == []
    assert "Les commentaires sont fermés." in text(client.get(f"/contributions/{contribution.id}/commentaires"))


def test_unpublished_contribution_refuses_with_409(client, author, make_contribution):
    # Its author may read it, so is told why (others get a 404: see test_visibility).
    contribution = make_contribution(status=ContributionStatus.HIDDEN, author=author)
    assert post(client, contribution, "Bonjour").status_code == 409
    assert client.post("/contributions/999999/commentaires", data={"body": "Bonjour"}).status_code == 404


# Editing and deleting


def test_edit_own_comment(client, session, author, add_comment, contribution):
    comment = add_comment(contribution, author, body="Avant")
    assert "modifié" not in text(client.get(f"/contributions/{contribution.id}/commentaires"))
    form = client.get(f"/commentaires/{comment.id}/modifier")
    assert (
        form.status_code == 200
        and f'id="comment-edit-{comment.id}"' in text(form)
        and ">Avant</textarea>" in text(form)
    )
    response = client.post(f"/commentaires/{comment.id}/modifier", data={"body": "Après", "next": "/x"})
    assert response.status_code == 303 and response.headers["Location"] == f"/x#comment-{comment.id}"
    assert reload(session, Comment, comment.id).body == "Après"
    assert "modifié" in text(client.get(f"/contributions/{contribution.id}/commentaires"))


def test_edit_with_htmx(client, author, add_comment, contribution):
    comment = add_comment(contribution, author, body="Avant")
    form = client.get(f"/commentaires/{comment.id}/modifier", headers=HTMX)
    assert "<html" not in text(form) and f'id="comment-edit-{comment.id}"' in text(form)
    invalid = client.post(f"/commentaires/{comment.id}/modifier", data={"body": "x"}, headers=HTMX)
    assert invalid.status_code == 200 and "au moins 2 caractères" in text(invalid) and ">x</textarea>" in text(invalid)
    saved = client.post(f"/commentaires/{comment.id}/modifier", data={"body": "Après"}, headers=HTMX)
    assert "Votre commentaire est modifié." in text(saved) and "Après" in text(saved)


def test_edit_validation_without_javascript(client, author, add_comment, contribution):
    comment = add_comment(contribution, author)
    response = client.post(f"/commentaires/{comment.id}/modifier", data={"body": "y" * 2001})
    assert response.status_code == 422 and "2001 caractères" in text(response)


def test_edit_on_premoderated_consultation_goes_back_to_moderation(
    client, session, author, add_comment, make_consultation, make_contribution
):
    contribution = make_contribution(make_consultation(moderation=ModerationMode.PRE))
    comment = add_comment(contribution, author, status=CommentStatus.PUBLISHED)
    session.get(Contribution, contribution.id).comment_count = 1
    session.commit()
    client.post(f"/commentaires/{comment.id}/modifier", data={"body": "Changé après validation"})
    assert reload(session, Comment, comment.id).status == CommentStatus.PENDING
    assert reload(session, Contribution, contribution.id).comment_count == 0


def test_edit_on_closed_consultation_409(client, session, author, add_comment, contribution):
    comment = add_comment(contribution, author)
    consultation = contribution.consultation_id
    from consult.models import Consultation

    session.get(Consultation, consultation).closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert client.post(f"/commentaires/{comment.id}/modifier", data={"body": "Changé"}).status_code == 409


def test_others_comments_are_403_and_unknown_404(client, make_user, add_comment, author, contribution):
    other = add_comment(contribution, make_user())
    assert client.get(f"/commentaires/{other.id}/modifier").status_code == 403
    assert client.post(f"/commentaires/{other.id}/modifier", data={"body": "Pirate"}).status_code == 403
    assert client.post(f"/commentaires/{other.id}/supprimer").status_code == 403
    assert client.get("/commentaires/999999/modifier").status_code == 404
    assert client.post("/commentaires/999999/supprimer").status_code == 404


def test_anonymous_edit_and_delete_go_to_login(client, make_user, add_comment, contribution):
    comment = add_comment(contribution, make_user())
    assert client.get(f"/commentaires/{comment.id}/modifier").headers["Location"].startswith("/connexion")
    assert client.post(f"/commentaires/{comment.id}/supprimer").headers["Location"].startswith("/connexion")


def test_delete_keeps_a_placeholder_for_the_replies(client, session, author, make_user, add_comment, contribution):
    comment = add_comment(contribution, author, body="Mon texte personnel")
    add_comment(contribution, make_user(), body="Une réponse", parent_id=comment.id)
    response = client.post(f"/commentaires/{comment.id}/supprimer", headers=HTMX)
    html = text(response)
    assert "Votre commentaire est supprimé." in html
    assert "Commentaire supprimé par son auteur" in html and "Une réponse" in html
    assert "Mon texte personnel" not in html
    deleted = reload(session, Comment, comment.id)
    assert (deleted.status, deleted.body) == (CommentStatus.DELETED, "")
    assert session.get(Contribution, contribution.id).comment_count == 1
    assert client.post(f"/commentaires/{comment.id}/supprimer").status_code == 404


def test_delete_without_javascript_redirects_back(client, author, add_comment, contribution):
    comment = add_comment(contribution, author)
    response = client.post(f"/commentaires/{comment.id}/supprimer", data={"next": "/page"})
    assert response.status_code == 303 and response.headers["Location"] == f"/page#comments-{contribution.id}"


def test_hidden_comment_shows_as_masked_to_others(client, session, make_user, add_comment, sign_in, contribution):
    writer = make_user()
    hidden = add_comment(contribution, writer, body="Texte signalé")
    add_comment(contribution, make_user(), body="Réponse visible", parent_id=hidden.id)
    services.change_status(session=session, comment=hidden, status=CommentStatus.HIDDEN)
    session.commit()
    html = text(client.get(f"/contributions/{contribution.id}/commentaires"))
    assert "Commentaire masqué en attente de modération" in html and "Texte signalé" not in html
    assert "Réponse visible" in html
    sign_in(writer)
    html = text(client.get(f"/contributions/{contribution.id}/commentaires"))
    assert "Texte signalé" in html and "Masqué après signalements" in html


# RGPD


def test_export_and_account_deletion_keep_comments(client, session, make_user, add_comment, contribution):
    from consult.account.services import delete_account, export_user_data
    from tests.consult.conftest import PASSWORD

    user = make_user(pseudonym="Dominique")
    comment = add_comment(contribution, user, body="À garder")
    exported = export_user_data(session=session, user=user)["comments"]
    assert [(c["id"], c["body"], c["status"]) for c in exported] == [(comment.id, "À garder", "published")]
    delete_account(session=session, user=user, password=PASSWORD)
    session.commit()
    html = text(client.get(f"/contributions/{contribution.id}/commentaires"))
    # Anonymised: the shared anonymous author, no internal id, nothing that ties it to the person.
    assert "À garder" in html and "Participant anonyme" in html and "Dominique" not in html
    assert f"#{user.id}" not in html


def test_stale_status_is_never_counted_twice(app, session, make_user, add_comment, contribution):
    from sqlmodel import Session

    comment = add_comment(contribution, make_user())
    with Session(app.extensions["consult.engine"], expire_on_commit=False) as stale:
        loaded = stale.get(Comment, comment.id)  # still "published" in this session
        services.change_status(session=session, comment=comment, status=CommentStatus.HIDDEN)
        session.commit()
        services.change_status(session=stale, comment=loaded, status=CommentStatus.HIDDEN)
        stale.commit()
    assert reload(session, Contribution, contribution.id).comment_count == 0


def test_comment_with_personal_data_is_refused_with_a_masked_suggestion(
    client, auth, make_user, make_contribution, session
):
    from sqlmodel import select

    from consult.models import Comment

    contribution = make_contribution()
    auth.login(make_user())
    body = "Mon cancer est suivi par le Dr Martin, écrivez-moi à paul.durand@example.fr"
    response = client.post(f"/contributions/{contribution.id}/commentaires", data={"body": body})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "données personnelles" in html and "[courriel]" in html
    assert "paul.durand@example.fr" in html  # the author's text stays in the form
    assert session.exec(select(Comment)).all() == []
