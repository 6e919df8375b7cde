"""A visitor signs up, logs out and in, switches language, in Debian's Chromium."""

import re

from playwright.sync_api import expect


def test_signup_login_logout_language(page, live_server, artifacts_dir):
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/")
    expect(page).to_have_title(re.compile("Accueil"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    # the skip link is the first focusable element
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Contenu")
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()

    page.get_by_role("link", name="Créer un compte").first.click()
    page.get_by_label("Adresse électronique").fill("lea@example.fr")
    page.get_by_label("Pseudonyme").fill("Léa")
    page.get_by_label("Mot de passe").fill("court")
    page.get_by_role("button", name="Créer mon compte").click()
    # server-side validation: French message, text kept
    expect(page.locator("#password-error")).to_contain_text("au moins 12 caractères")
    expect(page.locator("#consent-error")).to_be_visible()
    expect(page.get_by_label("Pseudonyme")).to_have_value("Léa")

    page.get_by_label("Mot de passe").fill("Un-mot-de-passe-s0lide")
    page.locator("label[for=consent]").click(position={"x": 4, "y": 8})  # the box, not the link inside the label
    expect(page.locator("#consent")).to_be_checked()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_text("Bienvenue Léa")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "signed-up.png"), full_page=True)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()

    page.get_by_role("link", name="Se connecter").first.click()
    page.get_by_label("Adresse électronique").fill("lea@example.fr")
    page.get_by_label("Mot de passe").fill("Un-mot-de-passe-s0lide")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name="Léa")).to_be_visible()

    # language switch (DSFR translate menu)
    page.locator(".fr-header__tools .fr-translate__btn").click()
    page.get_by_role("link", name="EN - English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "english.png"), full_page=True)
    page.locator(".fr-header__tools .fr-translate__btn").click()
    page.get_by_role("link", name="FR - Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
