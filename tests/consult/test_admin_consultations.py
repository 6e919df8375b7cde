"""Administration of consultations: pages (admins only), validation, phases, and the `consult consultation` CLI."""

from datetime import UTC, datetime
from html import unescape

import pytest
from sqlmodel import select

from consult.consultations.services import get_consultation, list_phases
from consult.models import Consultation, Role

FORM = {
    "title": "Données de santé et recherche",
    "slug": "donnees-sante-recherche",
    "summary": "Comment réutiliser les données de santé pour la recherche ?",
    "question": "À quelles conditions acceptez-vous que vos données servent à la recherche ?",
    "description": "Le **Health Data Hub**…",
    "opens_at": "2026-01-05T09:00",
    "closes_at": "2026-03-01T18:00",
    "moderation": "pre",
    "phase-0-title": "Contributions",
    "phase-0-starts": "2026-01-05T09:00",
    "phase-0-ends": "2026-02-15T18:00",
    "phase-1-title": "Synthèse",
    "phase-1-description": "Publication de la synthèse",
    "phase-1-starts": "2026-02-16T09:00",
    "phase-1-ends": "2026-03-01T18:00",
}


@pytest.fixture
def admin(make_user, auth):
    user = make_user(role=Role.ADMIN)
    auth.login(user)
    return user


@pytest.mark.parametrize("path", ["/admin/consultations/", "/admin/consultations/nouvelle"])
def test_admin_pages_need_admin_role(client, make_user, auth, path):
    assert "/connexion" in client.get(path).headers["Location"]
    auth.login(make_user(role=Role.MODERATOR))
    assert client.get(path).status_code == 403
    assert client.post(path, data=FORM).status_code in (403, 405)


def test_edit_page_needs_admin_role(client, make_consultation, make_user, auth):
    consultation = make_consultation()
    auth.login(make_user())
    assert client.get(f"/admin/consultations/{consultation.slug}/modifier").status_code == 403
    assert client.post(f"/admin/consultations/{consultation.slug}/modifier", data=FORM).status_code == 403


def test_create_consultation_with_phases(client, session, admin):
    form = client.get("/admin/consultations/nouvelle").get_data(as_text=True)
    assert 'for="title"' in form and 'for="phase-0-title"' in form and 'type="datetime-local"' in form
    response = client.post("/admin/consultations/nouvelle", data=FORM)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/consultations/donnees-sante-recherche"
    )
    consultation = get_consultation(session=session, slug="donnees-sante-recherche")
    assert consultation.moderation == "pre" and consultation.title == FORM["title"]
    # Paris is UTC+1 in January: 09:00 local is 08:00 UTC.
    assert consultation.opens_at.replace(tzinfo=UTC) == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    phases = list_phases(session=session, consultation=consultation)
    assert [p.title for p in phases] == ["Contributions", "Synthèse"] and phases[
        1
    ].description == "Publication de la synthèse"
    assert "Données de santé et recherche" in client.get("/admin/consultations/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Ce champ est obligatoire."),
        ({"slug": "Avec Espaces"}, "slug", "Uniquement des lettres minuscules"),
        ({"closes_at": "2025-12-01T00:00"}, "closes_at", "La clôture doit être postérieure à l'ouverture."),
        ({"opens_at": "pas une date"}, "opens_at", "Indiquez une date d'ouverture valide."),
        ({"moderation": "aucune"}, "moderation", "Choisissez un mode de modération."),
        ({"phase-1-ends": "2026-02-01T00:00"}, "phase-1-starts", "La fin doit être postérieure au début."),
        ({"phase-0-title": ""}, "phase-0-title", "Donnez un titre à l'étape."),
    ],
)
def test_create_validation_422_keeps_input(client, session, admin, changes, field, message):
    response = client.post("/admin/consultations/nouvelle", data=FORM | changes)
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))  # messages are escaped like any interpolated text
    assert message in html and f'id="{field}-error"' in html
    assert FORM["summary"] in html and FORM["phase-1-description"] in html
    assert session.exec(select(Consultation)).first() is None


def test_slug_must_be_unique(client, make_consultation, admin):
    make_consultation(slug="donnees-sante-recherche")
    response = client.post("/admin/consultations/nouvelle", data=FORM)
    assert response.status_code == 422 and "déjà utilisée" in response.get_data(as_text=True)


def test_edit_consultation(client, session, make_consultation, admin):
    consultation = make_consultation(slug="a-modifier")
    form = client.get("/admin/consultations/a-modifier/modifier").get_data(as_text=True)
    assert consultation.title in form and 'value="a-modifier"' in form
    response = client.post(
        "/admin/consultations/a-modifier/modifier", data=FORM | {"slug": "a-modifier", "moderation": "post"}
    )
    assert response.status_code == 303
    session.expire_all()
    consultation = get_consultation(session=session, slug="a-modifier")
    assert consultation.title == FORM["title"] and consultation.moderation == "post"
    assert len(list_phases(session=session, consultation=consultation)) == 2
    # Emptying a phase row removes the phase.
    client.post(
        "/admin/consultations/a-modifier/modifier",
        data={k: v for k, v in FORM.items() if not k.startswith("phase-1")} | {"slug": "a-modifier"},
    )
    assert [p.title for p in list_phases(session=session, consultation=consultation)] == ["Contributions"]
    assert client.get("/admin/consultations/inconnue/modifier").status_code == 404


def test_edit_validation_422(client, make_consultation, admin):
    consultation = make_consultation()
    response = client.post(
        f"/admin/consultations/{consultation.slug}/modifier", data=FORM | {"slug": consultation.slug, "summary": ""}
    )
    assert response.status_code == 422 and 'id="summary-error"' in response.get_data(as_text=True)


def test_cli_create_edit_list(runner, session, tmp_path):
    description = tmp_path / "contexte.md"
    description.write_text("Le **contexte**.", encoding="utf-8")
    result = runner.invoke(
        args=[
            "consultation",
            "create",
            "--slug",
            "par-la-console",
            "--title",
            "Créée en ligne de commande",
            "--summary",
            "Résumé",
            "--question",
            "Votre avis ?",
            "--opens",
            "2026-01-01",
            "--closes",
            "2026-02-01",
            "--description-file",
            str(description),
            "--moderation",
            "pre",
            "--phase",
            "Contributions|2026-01-01|2026-01-20",
            "--phase",
            "Synthèse|2026-01-21|2026-02-01",
        ]
    )
    assert result.exit_code == 0, result.output
    consultation = get_consultation(session=session, slug="par-la-console")
    assert consultation.description == "Le **contexte**." and consultation.moderation == "pre"
    assert len(list_phases(session=session, consultation=consultation)) == 2

    result = runner.invoke(
        args=["consultation", "edit", "par-la-console", "--title", "Nouveau titre", "--closes", "2026-03-01T12:00"]
    )
    assert result.exit_code == 0, result.output
    session.expire_all()
    consultation = get_consultation(session=session, slug="par-la-console")
    assert consultation.title == "Nouveau titre" and consultation.summary == "Résumé"
    assert len(list_phases(session=session, consultation=consultation)) == 2  # no --phase: phases kept

    result = runner.invoke(args=["consultation", "list"])
    assert "par-la-console" in result.output and "Nouveau titre" in result.output


def test_cli_errors(runner, make_consultation):
    make_consultation(slug="existe")
    result = runner.invoke(
        args=[
            "consultation",
            "create",
            "--slug",
            "existe",
            "--title",
            "T",
            "--summary",
            "S",
            "--question",
            "Q",
            "--opens",
            "2026-02-01",
            "--closes",
            "2026-01-01",
        ]
    )
    assert result.exit_code == 1
    assert "slug" in result.output and "closes_at" in result.output
    assert runner.invoke(args=["consultation", "edit", "inconnue", "--title", "X"]).exit_code == 1
    result = runner.invoke(args=["consultation", "edit", "existe", "--phase", "sans dates"])
    assert result.exit_code != 0 and "titre|début|fin" in result.output
