"""English translation: complete catalogue, and key pages rendered in English once the visitor chooses it."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from consult.models import Role

TRANSLATIONS = Path(__file__).parents[2] / "consult" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def _catalogue():
    with PO.open("rb") as fh:
        return read_po(fh)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_catalogue_has_no_untranslated_or_fuzzy_entry():
    untranslated, fuzzy = [], []
    for message in _catalogue():
        if not message.id:
            continue
        if message.fuzzy:
            fuzzy.append(message.id)
        if not all(_strings(message)):
            untranslated.append(message.id)
    hint = "run `make translations`, translate the new msgids in messages.po, then `make setup`"
    assert not untranslated, f"untranslated strings ({hint}): {untranslated}"
    assert not fuzzy, f"fuzzy strings, check and drop the fuzzy flag ({hint}): {fuzzy}"


def test_catalogue_translations_keep_placeholders():
    catalogue = _catalogue()
    assert not list(catalogue.check()), "babel's checkers (python-format, plural count) found errors"
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in _strings(message):
            # a singular may drop the number ("A similar contribution already exists"), never add or rename one
            assert set(PLACEHOLDER.findall(string)) <= set(expected), (message.id, string)
        assert sorted(PLACEHOLDER.findall(_strings(message)[-1])) == expected, message.id


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """Compile the catalogue as `make setup` does when the .mo is missing or older than the .po."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(TRANSLATIONS)],
            check=True,
            capture_output=True,
        )


@pytest.fixture
def english(client):
    client.get("/langue/en")
    return client


@pytest.fixture
def french_left_over():
    """Return the catalogue's French msgids (long enough to be unambiguous) still present in a page."""
    catalogue = [message for message in _catalogue() if message.id]
    english = " ".join(string for message in catalogue for string in _strings(message))
    french = sorted(
        {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in catalogue
            if _strings(message)[0] != message.id and len(message.id) >= 12 and "%" not in message.id
        }
        # French proper names kept in the English text ("Délégation au numérique en santé (…)")
        - {msgid for msgid in (m.id for m in catalogue if isinstance(m.id, str)) if msgid in english}
    )

    def find(page: str) -> list[str]:
        text = html.unescape(page)
        return [msgid for msgid in french if msgid in text]

    return find


def _page(response, status=200) -> str:
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert '<html lang="en"' in page
    return page


def test_language_switch_remembers_english_and_returns_to_the_page(client):
    response = client.get("/langue/en?next=/confidentialite")
    assert response.status_code == 302 and response.headers["Location"].endswith("/confidentialite")
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)
    client.get("/langue/fr")
    assert '<html lang="fr"' in client.get("/").get_data(as_text=True)


def test_unknown_language_keeps_french(client):
    client.get("/langue/de")
    assert '<html lang="fr"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ["Let’s shape digital health together", "Open consultations", "Quick access"]),
        ("/consultations/", ["Consultations", "Main menu"]),
        ("/confidentialite", ["Personal data and cookies", "Your rights", "Data controller"]),
        ("/accessibilite", ["Accessibility statement", "Compliance status"]),
        ("/mentions-legales", ["Legal notice", "Publisher"]),
        ("/connexion", ["Log in", "Email address", "Password", "No account yet?"]),
        ("/inscription", ["Create an account", "Username", "I have read and accept the", "privacy policy"]),
        ("/taxonomie/", ["The 16 principles in 4 dimensions"]),
    ],
)
def test_public_pages_in_english(english, french_left_over, make_consultation, path, expected):
    make_consultation(title="Dossier médical partagé")
    page = _page(english.get(path))
    for text in expected:
        assert text in html.unescape(page), text
    assert french_left_over(page) == []


def test_consultation_contributions_and_contribution_pages_in_english(
    english, french_left_over, make_consultation, make_contribution
):
    consultation = make_consultation(title="Dossier médical partagé")
    contribution = make_contribution(consultation=consultation, title="Un carnet de vaccination numérique")

    page = html.unescape(_page(english.get(f"/consultations/{consultation.slug}")))
    assert "Read the contributions" in page and "Dossier médical partagé" in page
    assert french_left_over(page) == []

    page = html.unescape(_page(english.get(f"/consultations/{consultation.slug}/contributions")))
    assert "Filter and sort contributions" in page and "Sort by" in page and "Most recent" in page
    assert "Un carnet de vaccination numérique" in page  # content stays in the language it was written in
    assert french_left_over(page) == []

    page = html.unescape(_page(english.get(f"/contributions/{contribution.id}")))
    assert "Agree" in page and "Disagree" in page and "Pass" in page
    assert "Log in to vote" in page
    assert french_left_over(page) == []


def test_signup_errors_in_english(english, french_left_over):
    response = english.post("/inscription", data={"email": "pas-une-adresse", "pseudonym": "L", "password": "court"})
    page = html.unescape(_page(response, status=422))
    assert "Enter a valid email address" in page
    assert "The password must contain at least 12 characters." in page
    assert "You must accept the privacy policy to create an account." in page
    assert re.search(r"The form contains \d+ errors: correct them", page)
    assert "<title>Error — Create an account" in page
    assert french_left_over(page) == []


def test_account_and_contribution_form_in_english(english, french_left_over, auth, make_user, make_consultation):
    consultation = make_consultation()
    auth.login(make_user(pseudonym="Camille"))

    page = html.unescape(_page(english.get("/compte/")))
    assert "My account" in page and "Download my data (JSON)" in page and "Delete my account" in page
    assert "Log out" in page
    assert french_left_over(page) == []

    page = html.unescape(_page(english.get(f"/consultations/{consultation.slug}/contribuer")))
    assert "Submit my contribution" in page and "Your proposal" in page and "Theme (optional)" in page
    assert french_left_over(page) == []


@pytest.mark.parametrize(
    ("path", "method", "status", "expected"),
    [
        ("/nulle-part", "get", 404, "Page not found"),
        ("/admin/utilisateurs", "get", 403, "Access denied"),
        ("/deconnexion", "get", 405, "Method not allowed"),
    ],
)
def test_error_pages_in_english(english, french_left_over, auth, make_user, path, method, status, expected):
    auth.login(make_user(role=Role.CITIZEN))
    page = html.unescape(_page(getattr(english, method)(path), status=status))
    assert expected in page and f"Error {status}" in page and "Home page" in page
    assert french_left_over(page) == []


def test_htmx_fragments_in_english(english, french_left_over, auth, make_user, make_consultation, make_contribution):
    consultation = make_consultation()
    contribution = make_contribution(consultation=consultation)
    htmx = {"HX-Request": "true", "HX-Current-URL": f"http://localhost/consultations/{consultation.slug}/contributions"}

    fragment = html.unescape(
        english.get(f"/consultations/{consultation.slug}/contributions", headers=htmx).get_data(as_text=True)
    )
    assert "Log in to vote" in fragment and "0 comments" in fragment
    assert french_left_over(fragment) == []

    auth.login(make_user())
    response = english.post(f"/contributions/{contribution.id}/vote", data={"value": "1"}, headers=htmx)
    fragment = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "Your vote has been recorded." in fragment
    assert "Agree" in fragment and "Disagree" in fragment and "(1 vote)" in fragment
    assert french_left_over(fragment) == []


def test_french_content_is_marked_lang_fr_on_english_pages(client, make_contribution):
    contribution = make_contribution(
        title="Une proposition en français",
        body="Le texte citoyen reste en français, il faut le dire aux lecteurs d'écran.",
    )
    client.get("/langue/en")
    html = client.get(f"/contributions/{contribution.id}").get_data(as_text=True)
    assert '<h1 lang="fr">Une proposition en français</h1>' in html
    client.get("/langue/fr")
    html = client.get(f"/contributions/{contribution.id}").get_data(as_text=True)
    assert "<h1>Une proposition en français</h1>" in html


def test_taxonomy_wording_in_english_where_it_is_chosen(
    english, session, auth, make_user, make_consultation, make_contribution
):
    """Theme, principle and dimension names in filters, forms, the detail page and the moderation panel follow the
    interface's language (they were always shown in French)."""
    from consult.models import ContributionPrinciple

    consultation = make_consultation()
    contribution = make_contribution(consultation=consultation, theme_id="T01")
    session.add(ContributionPrinciple(contribution_id=contribution.id, principle_id="P01", source="author"))
    session.commit()
    french_theme = "Gouvernance, concertation et démocratie sanitaire"
    english_theme = "Governance, consultation and health democracy"
    french_principle = "Le numérique en santé complète et optimise les pratiques de santé effectuées en présentiel"
    english_principle = "Digital Health complements and optimises face-to-face healthcare"

    auth.login(make_user(role=Role.MODERATOR))
    pages = {
        "list": english.get(f"/consultations/{consultation.slug}/contributions"),
        "form": english.get(f"/consultations/{consultation.slug}/contribuer"),
        "detail": english.get(f"/contributions/{contribution.id}"),
        "queue": english.get("/moderation/"),
        "panel": english.get(f"/moderation/contributions/{contribution.id}"),
    }
    for name, response in pages.items():
        page = html.unescape(_page(response))
        assert french_theme not in page and french_principle not in page, name
        assert english_principle in page, name
        if name != "detail":  # the detail page names the theme by its short label
            assert english_theme in page, name
    assert "Base Digital Health on humanistic values" in html.unescape(pages["form"].get_data(as_text=True))
    # French stays French
    english.get("/langue/fr")
    page = html.unescape(english.get(f"/consultations/{consultation.slug}/contribuer").get_data(as_text=True))
    assert french_theme in page and french_principle in page
