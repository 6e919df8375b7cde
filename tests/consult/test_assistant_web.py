"""The assistant's page: every dialogue path, permissions on conversations, retention purge, RGPD export."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from consult.assistant.services import export_conversations, purge_conversations
from consult.models import AssistantConversation, AssistantMessage, Channel, Contribution, User, Vote, utcnow
from tests.consult.conftest import PASSWORD, link_in
from tests.consult.contribution_factories import add_contribution


def say(client, text, **extra):
    return client.post("/assistant/message", data={"text": text, **extra}, follow_redirects=True)


def stored(session):
    session.expire_all()
    return session.exec(select(AssistantMessage).order_by(AssistantMessage.id)).all()


def test_page_renders_empty(client):
    page = client.get("/assistant/")
    assert page.status_code == 200 and "Assistant de la consultation" in page.text


def test_question_answered_with_sources(client):
    page = say(client, "à quoi sert l'INS ?")
    assert "identité nationale de santé" in page.text and "esante.gouv.fr" in page.text


def test_unknown_question_points_to_contact(client):
    page = say(client, "donne moi une recette de crêpes")
    assert "je préfère ne rien inventer" in page.text and 'href="/contact"' in page.text
    assert client.get("/contact").status_code == 200


def test_medical_and_emergency(client):
    assert "pharmacien" in say(client, "j'ai de la fièvre, je prends quoi ?").text
    page = say(client, "mon père ne respire plus")
    assert "112" in page.text and "15" in page.text


def test_personal_data_warned_stored_masked_never_echoed(client, session):
    page = say(client, "appelez moi au 06 12 34 56 78")
    assert "données personnelles" in page.text and "06 12 34 56 78" not in page.text
    assert all("06 12 34 56 78" not in message.text for message in stored(session))


def test_htmx_returns_the_component(client):
    response = client.post("/assistant/message", data={"text": "bonjour"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.text.lstrip().startswith('<div id="assistant"')


def _consultation_with(make_consultation, make_user, session):
    consultation = make_consultation()
    author = make_user()
    similar = add_contribution(
        session,
        consultation,
        author,
        title="Une aide humaine pour les personnes âgées",
        body="Les personnes âgées ont besoin d'une aide humaine pour utiliser Mon espace santé au quotidien.",
    )
    return consultation, similar


def test_contribution_drafted_and_submitted_with_channel_chat(client, session, make_consultation, make_user, sign_in):
    consultation, _ = _consultation_with(make_consultation, make_user, session)
    user = sign_in(make_user())
    slug = {"consultation": consultation.slug}
    say(client, "je veux proposer une idée", **slug)
    page = say(
        client,
        "Les logiciels des hôpitaux doivent enfin échanger les comptes rendus avec les médecins de ville",
        **slug,
    )
    assert "brouillon" in page.text.lower() or "Aucune ne le dit" in page.text
    if "Aucune ne le dit" in page.text:
        client.post("/assistant/action", data={"action": "write"})
    page = client.post(
        "/assistant/brouillon",
        data={
            "title": "Des logiciels qui échangent",
            "body": "Les logiciels des hôpitaux doivent échanger les comptes rendus.",
            "send": "y",
        },
        follow_redirects=True,
    )
    contribution = session.exec(select(Contribution).where(Contribution.author_id == user.id)).one()
    assert contribution.channel == Channel.CHAT and "Merci" in page.text


def test_draft_errors_keep_the_text(client, session, make_consultation, make_user, sign_in):
    consultation, _ = _consultation_with(make_consultation, make_user, session)
    sign_in(make_user())
    say(client, "bonjour", consultation=consultation.slug)
    response = client.post("/assistant/brouillon", data={"title": "Court", "body": "Mon texte à garder", "send": "y"})
    assert response.status_code == 422 and "Mon texte à garder" in response.text


def test_similar_contribution_voted_instead(client, session, make_consultation, make_user, sign_in):
    consultation, similar = _consultation_with(make_consultation, make_user, session)
    user = sign_in(make_user())
    page = say(
        client,
        "je voudrais une aide humaine pour les personnes âgées avec mon espace santé",
        consultation=consultation.slug,
    )
    assert similar.title in page.text
    client.post(f"/assistant/vote/{similar.id}", data={"value": "1"})
    assert session.exec(select(Vote).where(Vote.user_id == user.id)).one().value == 1


def test_inline_login_keeps_the_draft(client, session, make_consultation, make_user):
    consultation, _ = _consultation_with(make_consultation, make_user, session)
    user = make_user()
    say(client, "bonjour", consultation=consultation.slug)
    page = client.post(
        "/assistant/brouillon",
        data={"title": "Un titre assez long", "body": "Un texte de brouillon assez long pour passer.", "send": "y"},
    )
    assert "Connectez-vous pour continuer" in page.text or page.status_code in (200, 303)
    client.post("/assistant/connexion", data={"email": user.email, "password": PASSWORD})
    page = client.get("/assistant/")
    assert "Un texte de brouillon assez long pour passer." in page.text
    session.expire_all()
    assert session.exec(select(AssistantConversation)).one().user_id == user.id


def test_resume_after_reload(client):
    say(client, "c'est quoi le DMP ?")
    assert "dossier médical partagé" in client.get("/assistant/").text


def test_conversation_never_shown_to_others(app, client, session, make_user, sign_in):
    owner = sign_in(make_user())
    say(client, "c'est quoi le DMP ?")
    other = app.test_client()
    assert "dossier médical partagé" not in other.get("/assistant/").text
    # Even holding the token, another visitor never sees a conversation attached to an account.
    token = session.exec(select(AssistantConversation)).one().token
    with other.session_transaction() as http_session:
        http_session["assistant_conversation"] = token
    assert "dossier médical partagé" not in other.get("/assistant/").text
    assert owner.id


def test_owner_deletes_the_conversation(client, session):
    say(client, "bonjour")
    client.post("/assistant/supprimer")
    session.expire_all()
    assert not session.exec(select(AssistantConversation)).all() and not stored(session)


def test_retention_purge(session):
    old = AssistantConversation(token="old", updated_at=utcnow() - timedelta(days=200))
    new = AssistantConversation(token="new")
    session.add_all([old, new])
    session.commit()
    assert purge_conversations(session=session, now=utcnow(), dry_run=True, days=90) == 1
    assert purge_conversations(session=session, now=utcnow(), dry_run=False, days=90) == 1
    session.commit()
    assert [c.token for c in session.exec(select(AssistantConversation)).all()] == ["new"]


def test_rgpd_export(client, session, make_user, sign_in):
    user = sign_in(make_user())
    say(client, "c'est quoi le DMP ?")
    data = json.loads(client.get("/compte/mes-donnees.json").text)
    assert data["assistant_conversations"][0]["messages"][0]["text"] == "c'est quoi le DMP ?"
    assert export_conversations(session, user)


def test_account_deletion_erases_the_persons_conversations(app, client, session, make_user, sign_in):
    user = sign_in(make_user())
    say(client, "c'est quoi le DMP ?")
    other_client = app.test_client()
    say(other_client, "bonjour")  # an anonymous visitor's conversation stays
    response = client.post("/compte/suppression", data={"password": PASSWORD})
    assert response.status_code == 302
    session.expire_all()
    remaining = session.exec(select(AssistantConversation)).all()
    assert [conversation.user_id for conversation in remaining] == [None]
    assert all(message.conversation_id == remaining[0].id for message in stored(session))
    assert user.id


def test_inline_signup_keeps_the_draft(client, session, make_consultation, make_user, mailbox):
    consultation, _ = _consultation_with(make_consultation, make_user, session)
    say(client, "bonjour", consultation=consultation.slug)
    body = "Un texte de brouillon gardé pendant l'inscription."
    draft = {"title": "Un titre de brouillon", "body": body, "send": "y"}
    page = client.post("/assistant/brouillon", data=draft, follow_redirects=True)
    assert "Créer mon compte et continuer" in page.text
    signup = {"new_email": "nouvelle@example.fr", "new_pseudonym": "Nouvelle venue", "new_password": "mot-de-passe-42"}
    # A missing consent re-renders the form with what was typed, and creates nothing.
    page = client.post("/assistant/inscription", data=signup)
    assert page.status_code == 422 and "politique de confidentialité pour créer un compte" in page.text
    assert 'value="nouvelle@example.fr"' in page.text and "Un texte de brouillon gardé" in page.text
    page = client.post("/assistant/inscription", data={**signup, "consent": "y"})
    # As on the sign-up page: the address is confirmed by e-mail first, then the citizen signs in here.
    assert page.status_code == 303 and page.headers["Location"].startswith("/verifiez-votre-messagerie")
    assert client.post(link_in(mailbox.wait_for("nouvelle@example.fr"))).status_code == 303
    login = {"email": "nouvelle@example.fr", "password": "mot-de-passe-42"}
    assert client.post("/assistant/connexion", data=login).status_code == 303
    page = client.get("/assistant/")
    assert "Un texte de brouillon gardé pendant l&#39;inscription." in page.text
    session.expire_all()
    [conversation] = session.exec(select(AssistantConversation)).all()
    assert conversation.user_id is not None
    # The draft can now be sent: the same rules as the web form, channel chat.
    client.post("/assistant/brouillon", data=draft)
    session.expire_all()
    assert session.exec(select(Contribution).where(Contribution.author_id == conversation.user_id)).one().channel == (
        Channel.CHAT
    )


def test_inline_signup_does_not_tell_a_taken_email(client, session, make_user, mailbox):
    taken = make_user()
    say(client, "bonjour")
    data = {"new_email": taken.email, "new_pseudonym": "Autre pseudo", "new_password": "mot-de-passe-42"}
    data["consent"] = "y"
    page = client.post("/assistant/inscription", data=data)
    # The same answer as for a new address; the owner is told by e-mail (issue 10, defect 7).
    assert page.status_code == 303 and page.headers["Location"].startswith("/verifiez-votre-messagerie")
    assert "déjà un compte" in mailbox.wait_for(taken.email)["Subject"]
    assert session.exec(select(User).where(User.pseudonym == "Autre pseudo")).first() is None


def test_consultation_page_has_the_compact_panel(client, make_consultation):
    consultation = make_consultation()
    page = client.get(f"/consultations/{consultation.slug}")
    assert page.status_code == 200 and 'id="assistant-panel"' in page.text
    assert f'name="consultation" value="{consultation.slug}"' in page.text


def test_compact_panel_answers_in_place_with_htmx(client, make_consultation):
    consultation = make_consultation()
    data = {"text": "à quoi sert l'INS ?", "consultation": consultation.slug, "panel": "1"}
    response = client.post("/assistant/message", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.text.lstrip().startswith('<section id="assistant-panel"')
    assert "identité nationale de santé" in response.text and "esante.gouv.fr" in response.text
    # Without JavaScript, the same form opens the assistant page on the reply, in the same conversation.
    response = client.post("/assistant/message", data={**data, "text": "c'est quoi le DMP ?"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/assistant/")
    page = client.get("/assistant/")
    assert "identité nationale de santé" in page.text and "dossier médical partagé" in page.text
