"""Authors are told of moderators' decisions: e-mail (real SMTP server on loopback) and their account page."""

from __future__ import annotations

import pytest

from consult.models import Role, utcnow
from tests.consult.contribution_factories import add_contribution

HTMX = {"HX-Request": "true"}


@pytest.fixture
def moderator(make_user):
    return make_user(role=Role.MODERATOR, pseudonym="Modé Rateur")


@pytest.fixture
def as_moderator(app, moderator):
    client = app.test_client()
    with client.session_transaction() as http:
        http["user_id"], http["user_version"] = moderator.id, moderator.session_version
    return client


def act(client, contribution, action, **data):
    data.setdefault("version", contribution.version)
    return client.post(f"/moderation/contributions/{contribution.id}/{action}", data=data)


def test_publish_reject_merge_and_redact_are_mailed_to_the_author(
    as_moderator, session, make_consultation, make_user, mailbox
):
    consultation = make_consultation(moderation="pre")
    author = make_user(email="autrice@example.fr", pseudonym="Autrice")
    other = make_user(email="autre@example.fr")
    kept = add_contribution(
        session, consultation, other, title="Texte d'une autre personne", body="Le texte propre à quelqu'un d'autre."
    )
    pending = add_contribution(session, consultation, author, status="pending", title="Ma proposition à publier")
    assert act(as_moderator, pending, "publier").status_code == 303
    message = mailbox.wait_for(author.email)
    assert message["Subject"] == "Votre contribution est publiée"
    body = message.get_content()
    assert "Bonjour Autrice," in body and "« Ma proposition à publier »" in body
    assert f"http://127.0.0.1:5000/contributions/{pending.id}" in body and "http://127.0.0.1:5000/compte/" in body

    refused = add_contribution(session, consultation, author, status="pending", title="Ma proposition refusée")
    response = act(as_moderator, refused, "refuser", reason="commercial", details="Le lien vers une boutique.")
    assert response.status_code == 303
    message = mailbox.wait_for(author.email, count=2)
    assert message["Subject"] == "Votre contribution n’est pas publiée"
    assert "Le lien vers une boutique." in message.get_content()

    double = add_contribution(session, consultation, author, title="Mon doublon")
    assert act(as_moderator, double, "fusionner", kept=str(kept.id)).status_code == 303
    message = mailbox.wait_for(author.email, count=3)
    assert message["Subject"] == "Votre contribution est regroupée avec une autre"
    body = message.get_content()
    assert f"n° {kept.id}" in body and f"/contributions/{kept.id}" in body
    # Never another person's text: the kept contribution is named by its number only.
    assert kept.title not in body and kept.body not in body

    phone = add_contribution(
        session, consultation, author, status="pending", title="Mon cas", body="Appelez-moi au 06 12 34 56 78 svp."
    )
    assert act(as_moderator, phone, "masquer-donnees", spans="all").status_code == 303
    message = mailbox.wait_for(author.email, count=4)
    assert message["Subject"] == "Des données personnelles ont été masquées dans votre contribution"
    assert "06 12" not in message.get_content()
    assert mailbox.to(other.email) == []


def test_the_author_sees_the_decisions_on_their_account_page(
    app, as_moderator, session, make_consultation, make_user, mailbox
):
    consultation = make_consultation(moderation="pre")
    author = make_user(email="lea@example.fr")
    kept = add_contribution(session, consultation, make_user())
    refused = add_contribution(session, consultation, author, status="pending", title="Refusée pour un motif")
    act(as_moderator, refused, "refuser", reason="commercial", details="Une publicité.")
    double = add_contribution(session, consultation, author, title="Deux fois la même idée")
    act(as_moderator, double, "fusionner", kept=str(kept.id))
    someone_else = add_contribution(session, consultation, make_user(), status="pending", title="Pas à elle")
    act(as_moderator, someone_else, "publier")
    mailbox.wait_for(author.email, count=2)
    client = app.test_client()
    with client.session_transaction() as http:
        http["user_id"], http["user_version"] = author.id, author.session_version
    page = client.get("/compte/").get_data(as_text=True)
    assert "Décisions de la modération sur mes contributions" in page
    assert page.index("Deux fois la même idée") < page.index("Refusée pour un motif")  # newest first
    assert "Une publicité." in page and f"Regroupée avec la contribution n° {kept.id}" in page
    assert "Pas à elle" not in page


def test_no_mail_to_unconfirmed_addresses_nor_for_decisions_that_did_not_happen(
    app, as_moderator, session, make_consultation, make_user, mailbox
):
    consultation = make_consultation(moderation="pre")
    unconfirmed = make_user(email="pas-confirmee@example.fr", email_verified_at=None)
    confirmed, other = make_user(email="confirmee@example.fr"), make_user(email="autre@example.fr")
    first = add_contribution(session, consultation, confirmed, status="pending")
    second = add_contribution(session, consultation, other, status="pending")
    third = add_contribution(session, consultation, unconfirmed, status="pending")
    # A stale version: the decision is refused, rolled back, and nobody is told anything.
    assert act(as_moderator, second, "publier", version=second.version + 1).status_code == 409
    # A bulk batch refused as a whole: the first item was decided (its notice queued) before the stale second
    # one stopped the batch; the rollback drops the notice with the decision.
    keys = [f"contribution:{c.id}:{c.version}" for c in (first, second, third)]
    stale = [keys[0], f"contribution:{second.id}:{second.version + 7}", keys[2]]
    assert as_moderator.post("/moderation/lot", data={"action": "publish", "items": stale}).status_code == 303
    session.expire_all()
    assert session.get(type(first), first.id).status == "pending"
    assert as_moderator.post("/moderation/lot", data={"action": "publish", "items": keys}).status_code == 303
    assert mailbox.wait_for(other.email)["Subject"] == "Votre contribution est publiée"
    assert mailbox.wait_for(confirmed.email)["Subject"] == "Votre contribution est publiée"
    assert len(mailbox.to(confirmed.email)) == 1 and len(mailbox.to(other.email)) == 1
    assert mailbox.to(unconfirmed.email) == []  # published too, but its address was never confirmed


def test_the_notice_is_in_the_authors_language(as_moderator, session, make_consultation, make_user, mailbox):
    consultation = make_consultation(moderation="pre")
    author = make_user(email="reader@example.org", locale="en", email_verified_at=utcnow())
    pending = add_contribution(session, consultation, author, status="pending", title="Un titre en français")
    act(as_moderator, pending, "refuser", reason="commercial")
    message = mailbox.wait_for(author.email)
    assert message["Subject"] == "Your contribution is not published"
    assert "Hello" in message.get_content()
