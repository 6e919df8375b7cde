"""A visitor signs up, logs out and in, switches language, in Debian's Chromium."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import mailed_link


def test_signup_login_logout_language(page, live_server, mailbox, artifacts_dir):
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
    # The address is confirmed by e-mail before the first sign-in.
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    page.screenshot(path=str(artifacts_dir / "check-mail.png"), full_page=True)
    page.goto(mailed_link(mailbox, "lea@example.fr"))
    page.get_by_role("button", name="Confirmer mon adresse").click()
    expect(page.get_by_text("Votre adresse est confirmée")).to_be_visible()
    page.get_by_label("Adresse électronique").fill("lea@example.fr")
    page.get_by_label("Mot de passe").fill("Un-mot-de-passe-s0lide")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name="Léa")).to_be_visible()
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


def test_forgotten_password(page, live_server, mailbox, artifacts_dir):
    from consult.demo import DEMO_ACCOUNTS
    from consult.models import Role

    email, pseudonym = DEMO_ACCOUNTS[Role.CITIZEN]
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_role("button", name="Recevoir un lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    page.goto(mailed_link(mailbox, email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un nouveau mot de passe")
    page.get_by_label("Nouveau mot de passe").fill("court")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.locator("#password-error")).to_contain_text("au moins 12 caractères")
    page.screenshot(path=str(artifacts_dir / "reset-password.png"), full_page=True)
    page.get_by_label("Nouveau mot de passe").fill("Un-nouveau-mot-de-passe-9")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_text("Votre mot de passe est changé")).to_be_visible()
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill("Un-nouveau-mot-de-passe-9")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name=pseudonym)).to_be_visible()
