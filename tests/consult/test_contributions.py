"""Contributions: submission and its validation, statuses, author edits and withdrawal, moderation, pages."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from consult.models import (
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    ModerationMode,
    Role,
    utcnow,
)
from tests.consult.contribution_factories import add_contribution

VALID = {
    "title": "Un dossier médical vraiment lisible",
    "body": "Je voudrais pouvoir lire mon dossier sans jargon médical.",
}


def _submit_url(consultation):
    return f"/consultations/{consultation.slug}/contribuer"


@pytest.fixture
def citizen(make_user, auth):
    user = make_user()
    auth.login(user)
    return user


def _closed(make_consultation):
    now = utcnow()
    return make_consultation(opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1))


def test_form_lists_themes_and_principles_grouped_by_dimension(client, make_consultation, citizen):
    html = client.get(_submit_url(make_consultation())).get_data(as_text=True)
    assert html.count('name="principles"') == 16
    assert "Dimension 1 — Inscrire le numérique en santé dans un cadre de valeurs humanistes" in html
    assert html.index("Dimension 1") < html.index('value="P01"') < html.index("Dimension 2") < html.index('value="P05"')
    assert "Intitulé de travail, formulation officielle non vérifiée" in html
    assert 'for="title"' in html and 'for="body"' in html and 'for="theme"' in html


def test_submit_post_moderation_publishes_at_once(client, session, make_consultation, citizen):
    consultation = make_consultation()
    response = client.post(_submit_url(consultation), data=VALID | {"theme": "T01", "principles": ["P01", "P16"]})
    assert response.status_code == 303
    contribution = session.exec(select(Contribution)).one()
    assert response.headers["Location"].endswith(f"/contributions/{contribution.id}")
    assert contribution.status == ContributionStatus.PUBLISHED and contribution.published_at is not None
    assert contribution.channel == "web" and contribution.author_id == citizen.id and contribution.theme_id == "T01"
    labels = session.exec(
        select(ContributionPrinciple.principle_id, ContributionPrinciple.source).where(
            ContributionPrinciple.source != "nlp"  # automatic labels are stored apart (test_automatic_labels)
        )
    ).all()
    assert sorted(labels) == [("P01", "author"), ("P16", "author")]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre contribution est publiée" in html
    assert VALID["title"] in html and citizen.pseudonym in html and "Principe 16" in html


def test_submit_pre_moderation_waits(client, session, make_consultation, citizen):
    consultation = make_consultation(moderation=ModerationMode.PRE)
    response = client.post(_submit_url(consultation), data=VALID)
    contribution = session.exec(select(Contribution)).one()
    assert contribution.status == ContributionStatus.PENDING and contribution.published_at is None
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "après relecture par un modérateur" in html
    assert "En attente de modération" in html  # status banner for the author


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Trop bref", "Le titre doit faire au moins 10 caractères (actuellement 9)."),
        ("title", "x" * 141, "Le titre doit faire au plus 140 caractères (actuellement 141)."),
        ("body", "Un texte trop court.", "Le texte doit faire au moins 30 caractères (actuellement 20)."),
        ("body", "y" * 5001, "Le texte doit faire au plus 5000 caractères (actuellement 5001)."),
        ("theme", "T99", "Choisissez un thème dans la liste."),
        ("principles", ["P01", "P99"], "Choisissez les principes dans la liste."),
    ],
)
def test_submit_validation_keeps_text(client, session, make_consultation, citizen, field, value, message):
    data = VALID | {field: value}
    response = client.post(_submit_url(make_consultation()), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html or field == "principles"
    assert VALID["title"] in html or field == "title"
    if field in ("title", "body"):
        assert value in html  # the refused text is kept for correction
    assert VALID["body"] in html or field == "body"
    if field == "principles":
        assert 'value="P01" checked' in html
    assert "Le formulaire contient 1 erreur" in html
    assert session.exec(select(Contribution)).first() is None


def test_title_and_body_are_stripped_before_counting(client, session, make_consultation, citizen):
    response = client.post(_submit_url(make_consultation()), data={"title": "   court   ", "body": VALID["body"]})
    assert response.status_code == 422


def test_submit_requires_login(client, make_consultation):
    consultation = make_consultation()
    for response in (client.get(_submit_url(consultation)), client.post(_submit_url(consultation), data=VALID)):
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]


def test_submit_unknown_consultation_404(client, citizen):
    assert client.get("/consultations/inconnue/contribuer").status_code == 404


def test_closed_consultation_refuses_contributions(client, session, make_consultation, citizen):
    consultation = _closed(make_consultation)
    for response in (client.get(_submit_url(consultation)), client.post(_submit_url(consultation), data=VALID)):
        assert response.status_code == 409
        assert "est close" in response.get_data(as_text=True)
    assert session.exec(select(Contribution)).first() is None


def test_upcoming_consultation_refuses_contributions(client, make_consultation, citizen):
    now = utcnow()
    consultation = make_consultation(opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=9))
    response = client.post(_submit_url(consultation), data=VALID)
    assert response.status_code == 409
    assert "pas encore ouverte" in response.get_data(as_text=True)


def test_submit_service_records_channel(session, make_consultation, make_user):
    from consult.contributions.services import submit_contribution
    from consult.errors import ValidationFailed

    consultation, user = make_consultation(), make_user()
    contribution = submit_contribution(session=session, consultation=consultation, author=user, channel="chat", **VALID)
    assert contribution.channel == "chat"
    with pytest.raises(ValidationFailed) as exc:
        submit_contribution(session=session, consultation=consultation, author=user, channel="fax", **VALID)
    assert "channel" in exc.value.errors


# --- The contribution page and who may see it -------------------------------------------------------------


def test_published_contribution_page_is_public(client, session, make_consultation, make_user):
    consultation, author = make_consultation(), make_user(pseudonym="Dominique")
    contribution = add_contribution(
        session, consultation, author, theme_id="T02", principles=["P02"], body="Ligne un\n<script>alert(1)</script>"
    )
    html = client.get(f"/contributions/{contribution.id}").get_data(as_text=True)
    assert contribution.title in html and "Dominique" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Principe 2" in html
    assert "Retirer ma contribution" not in html and "Modération" not in html


def test_unknown_contribution_404(client):
    assert client.get("/contributions/999").status_code == 404


@pytest.mark.parametrize("status", ["pending", "rejected", "hidden", "withdrawn"])
def test_unpublished_contribution_hidden_from_others(client, session, make_consultation, make_user, auth, status):
    contribution = add_contribution(session, make_consultation(), make_user(), status=status)
    assert client.get(f"/contributions/{contribution.id}").status_code == 404
    auth.login(make_user())
    assert client.get(f"/contributions/{contribution.id}").status_code == 404
    auth.logout()
    auth.login(make_user(role=Role.MODERATOR))
    assert client.get(f"/contributions/{contribution.id}").status_code == 200


def test_rejection_reason_shown_to_author(client, session, make_consultation, citizen):
    contribution = add_contribution(
        session, make_consultation(), citizen, status="rejected", rejection_reason="Hors sujet : merci de reformuler."
    )
    html = client.get(f"/contributions/{contribution.id}").get_data(as_text=True)
    assert "Refusée" in html and "Hors sujet : merci de reformuler." in html


def test_duplicate_links_to_kept_contribution(client, session, make_consultation, make_user):
    consultation, author = make_consultation(), make_user()
    kept = add_contribution(session, consultation, author, title="La proposition conservée")
    duplicate = add_contribution(session, consultation, author, status="duplicate", duplicate_of_id=kept.id)
    html = client.get(f"/contributions/{duplicate.id}").get_data(as_text=True)
    assert "Contribution en doublon" in html
    assert f'href="/contributions/{kept.id}"' in html and "La proposition conservée" in html


# --- Editing and withdrawing by the author -------------------------------------------------------------


def test_author_edits_pending_contribution(client, session, make_consultation, citizen):
    contribution = add_contribution(session, make_consultation(), citizen, status="pending", principles=["P03"])
    form = client.get(f"/contributions/{contribution.id}/modifier").get_data(as_text=True)
    assert contribution.title in form and 'value="P03" checked' in form
    response = client.post(
        f"/contributions/{contribution.id}/modifier", data=VALID | {"theme": "T03", "principles": ["P04"]}
    )
    assert response.status_code == 303
    session.refresh(contribution)
    assert contribution.title == VALID["title"] and contribution.theme_id == "T03"
    labels = session.exec(
        select(ContributionPrinciple.principle_id).where(ContributionPrinciple.source == "author")
    ).all()
    assert labels == ["P04"]


def test_edit_keeps_moderator_labels(session, make_consultation, make_user):
    from consult.contributions.services import update_contribution

    consultation, user = make_consultation(), make_user()
    contribution = add_contribution(session, consultation, user, status="pending", principles=["P01"])
    session.add(ContributionPrinciple(contribution_id=contribution.id, principle_id="P09", source="moderator"))
    session.flush()
    update_contribution(
        session=session, contribution=contribution, consultation=consultation, principle_ids=[], **VALID
    )
    # The author's label goes, the moderator's stays; automatic ("nlp") labels are recomputed from the new text.
    assert session.exec(
        select(ContributionPrinciple.principle_id, ContributionPrinciple.source).where(
            ContributionPrinciple.source != "nlp"
        )
    ).all() == [("P09", "moderator")]


def test_edit_validation_422_keeps_text(client, session, make_consultation, citizen):
    contribution = add_contribution(session, make_consultation(), citizen, status="pending")
    response = client.post(
        f"/contributions/{contribution.id}/modifier", data={"title": "Mon nouveau titre", "body": "court"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Mon nouveau titre" in html and "Le texte doit faire au moins 30 caractères" in html


def test_edit_someone_elses_contribution_403(client, session, make_consultation, make_user, citizen):
    contribution = add_contribution(session, make_consultation(), make_user(), status="published")
    assert client.get(f"/contributions/{contribution.id}/modifier").status_code == 403
    assert client.post(f"/contributions/{contribution.id}/modifier", data=VALID).status_code == 403


def test_edit_requires_login(client, session, make_consultation, make_user):
    contribution = add_contribution(session, make_consultation(), make_user(), status="pending")
    assert "/connexion" in client.get(f"/contributions/{contribution.id}/modifier").headers["Location"]


def test_edit_published_contribution_409(client, session, make_consultation, citizen):
    contribution = add_contribution(session, make_consultation(), citizen, status="published")
    assert client.get(f"/contributions/{contribution.id}/modifier").status_code == 409
    response = client.post(f"/contributions/{contribution.id}/modifier", data=VALID)
    assert response.status_code == 409
    assert "plus modifiable" in response.get_data(as_text=True)


def test_edit_on_closed_consultation_409(client, session, make_consultation, citizen):
    contribution = add_contribution(session, _closed(make_consultation), citizen, status="pending")
    assert client.post(f"/contributions/{contribution.id}/modifier", data=VALID).status_code == 409


def test_author_withdraws(client, session, make_consultation, citizen):
    contribution = add_contribution(session, make_consultation(), citizen)
    assert f'href="/contributions/{contribution.id}/retrait"' in client.get(
        f"/contributions/{contribution.id}"
    ).get_data(as_text=True)
    confirm = client.get(f"/contributions/{contribution.id}/retrait").get_data(as_text=True)
    assert "Ce retrait est définitif" in confirm and "Oui, retirer ma contribution" in confirm
    response = client.post(f"/contributions/{contribution.id}/retrait")
    assert response.status_code == 303 and response.headers["Location"].endswith("/mes-contributions")
    session.refresh(contribution)
    assert contribution.status == ContributionStatus.WITHDRAWN
    assert client.post(f"/contributions/{contribution.id}/retrait").status_code == 409  # already withdrawn


def test_withdraw_others_403_anonymous_redirect(client, session, make_consultation, make_user, auth):
    contribution = add_contribution(session, make_consultation(), make_user())
    assert "/connexion" in client.post(f"/contributions/{contribution.id}/retrait").headers["Location"]
    auth.login(make_user())
    assert client.get(f"/contributions/{contribution.id}/retrait").status_code == 403
    assert client.post(f"/contributions/{contribution.id}/retrait").status_code == 403
    assert client.post("/contributions/999/retrait").status_code == 404


def test_withdraw_on_closed_consultation_409(client, session, make_consultation, citizen):
    contribution = add_contribution(session, _closed(make_consultation), citizen)
    assert client.get(f"/contributions/{contribution.id}/retrait").status_code == 409
    response = client.post(f"/contributions/{contribution.id}/retrait")
    assert response.status_code == 409 and "est close" in response.get_data(as_text=True)


# --- My contributions, RGPD export ----------------------------------------------------------------------


def test_my_contributions_lists_every_status(client, session, make_consultation, make_user, citizen):
    consultation = make_consultation()
    kept = add_contribution(session, consultation, make_user())
    for status in ContributionStatus:
        extra = {"rejection_reason": "Motif visible"} if status == "rejected" else {}
        if status == "duplicate":
            extra = {"duplicate_of_id": kept.id}
        add_contribution(session, consultation, citizen, status=status, title=f"Ma proposition {status.value}", **extra)
    add_contribution(session, consultation, make_user(), title="Celle de quelqu'un d'autre")
    html = client.get("/mes-contributions").get_data(as_text=True)
    for status in ContributionStatus:
        assert f"Ma proposition {status.value}" in html
    for label in ("En attente de modération", "Publiée", "Refusée", "Doublon", "Masquée", "Retirée"):
        assert label in html
    assert "Motif visible" in html and f"/contributions/{kept.id}" in html
    assert "Celle de quelqu" not in html


def test_my_contributions_requires_login(client):
    assert "/connexion" in client.get("/mes-contributions").headers["Location"]


def test_data_export_includes_contributions(client, session, make_consultation, citizen):
    consultation = make_consultation()
    add_contribution(session, consultation, citizen, title="Exportée avec mes données", principles=["P07"])
    data = json.loads(client.get("/compte/mes-donnees.json").get_data(as_text=True))
    [exported] = data["contributions"]
    assert exported["title"] == "Exportée avec mes données" and exported["principles"] == ["P07"]
    assert exported["consultation"] == consultation.slug and exported["status"] == "published"


def test_writes_are_rate_limited(make_app):
    from sqlmodel import SQLModel

    from consult.db import get_session
    from consult.models import Consultation, User
    from tests.consult.conftest import PASSWORD, _password_hash

    app = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_WRITE="2 per minute")
    SQLModel.metadata.create_all(app.extensions["consult.engine"])
    with app.app_context():
        session = get_session()
        now = utcnow()
        session.add(
            Consultation(
                slug="limitee",
                title="T",
                summary="S",
                question="Q",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=1),
            )
        )
        session.add(
            User(email="limite@example.fr", pseudonym="Limité", password_hash=_password_hash(), email_verified_at=now)
        )
        session.commit()
    client = app.test_client()
    client.post("/connexion", data={"email": "limite@example.fr", "password": PASSWORD})
    codes = [client.post("/consultations/limitee/contribuer", data=VALID).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    assert client.get("/consultations/limitee/contribuer").status_code == 200  # reading the form is not limited


def test_form_asks_for_similar_contributions_while_typing(client, session, make_consultation, citizen):
    consultation = make_consultation()
    html = client.get(_submit_url(consultation)).get_data(as_text=True)
    assert f'hx-post="/consultations/{consultation.slug}/similaires"' in html
    assert 'hx-include="#title, #body"' in html and 'id="similar-contributions"' in html
    contribution = add_contribution(session, consultation, citizen, status="pending")
    html = client.get(f"/contributions/{contribution.id}/modifier").get_data(as_text=True)
    assert f'hx-post="/consultations/{consultation.slug}/similaires?exclude={contribution.id}"' in html


# --- personal and health data are screened before anything is stored (RGPD art. 9) ---

PERSONAL = {
    "title": "Mon suivi à distance après mon cancer",
    "body": "Je suis diabétique et mon cancer est suivi à distance. Appelez-moi au 06 12 34 56 78 pour en parler.",
}


def test_personal_data_is_refused_with_a_masked_preview_and_nothing_stored(
    client, auth, make_user, make_consultation, session
):
    from sqlmodel import select

    from consult.models import Contribution

    consultation = make_consultation()
    auth.login(make_user())
    response = client.post(f"/consultations/{consultation.slug}/contribuer", data=PERSONAL)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Données personnelles détectées" in html
    assert "numéro de téléphone" in html and "information sur la santé" in html
    assert "[téléphone]" in html and "[donnée de santé]" in html
    assert "06 12 34 56 78" in html  # the author's own text is kept in the form to rewrite it
    assert session.exec(select(Contribution)).all() == []


def test_personal_data_published_masked_when_the_author_accepts(client, auth, make_user, make_consultation, session):
    from sqlmodel import select

    from consult.models import Contribution

    consultation = make_consultation()
    auth.login(make_user())
    response = client.post(
        f"/consultations/{consultation.slug}/contribuer", data={**PERSONAL, "redact_personal_data": "y"}
    )
    assert response.status_code == 303
    stored = session.exec(select(Contribution)).one()
    assert "06 12 34 56 78" not in stored.body and "[téléphone]" in stored.body
    assert "diabétique" not in stored.body and "cancer" not in stored.title
