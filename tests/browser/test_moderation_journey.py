"""A moderator triages the demo queue in Debian's Chromium (CSRF on, htmx): publishes one item with the keyboard,
rejects one with a reason, merges a duplicate, masks a phone number, corrects a principle; every action is in the
journal, and no console error or CSP violation happens on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from consult.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from consult.models import Role

PHONE = "06 39 98 00 00"
# The demo's pending contributions (besides the recent near-duplicate), oldest first in the queue in some order.
PENDING = (
    "Un numéro unique pour les questions sur Mon espace santé",
    "Évaluer l'impact écologique de chaque nouvel objet connecté remboursé",
    "Mon médecin m'a dit que mon dossier contient une erreur sur mon nom",
)


@pytest.fixture(autouse=True)
def expect_timeout():
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


def sign_in_as_moderator(page: Page, base: str) -> None:
    email, pseudonym = DEMO_ACCOUNTS[Role.MODERATOR]
    page.goto(base + "/connexion")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("link", name=pseudonym)).to_be_visible()


def open_in_queue(page: Page, title: str) -> None:
    page.locator("[data-queue-link]", has_text=title).click()
    expect(page.locator("#panel-title")).to_contain_text(title)


def notice(page: Page):
    return page.locator("#panel-notice")


def test_moderator_triages_the_demo_queue(page, live_server, artifacts_dir):
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_as_moderator(page, base)
    page.get_by_role("link", name="Modération", exact=True).click()
    expect(page.locator("h1")).to_have_text("Espace de modération")
    queue = page.locator("#queue")
    expect(queue).to_contain_text("À traiter (")
    page.screenshot(path=str(artifacts_dir / "moderation-queue.png"), full_page=True)

    # 1. Publish with the keyboard: j opens the first item of the queue (the oldest pending), p publishes it.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    title = page.locator("#panel-title")
    expect(title).to_be_visible()
    first_title = title.inner_text()
    assert first_title in PENDING
    page.locator("#panel").focus()
    page.keyboard.press("p")
    expect(notice(page)).to_have_text("La contribution est publiée.")
    expect(notice(page)).to_be_focused()  # the keyboard user keeps their place (the focus fell back to the page)
    expect(queue).not_to_contain_text(first_title)  # the queue reloaded itself without the published item

    # 2. Reject another pending one with a reason from the list and words for the author.
    open_in_queue(page, next(t for t in PENDING if t != first_title))
    page.locator("#reject-reason").select_option("hors_sujet")
    page.locator("#reject-details").fill("Merci de la proposer sur le service de contact.")
    page.locator("#action-reject button[type=submit]").click()
    expect(notice(page)).to_contain_text("La contribution est refusée")
    expect(page.locator("#panel")).to_contain_text("Merci de la proposer sur le service de contact.")

    # 3. Merge the recent near-duplicate into the published contribution it repeats, shown side by side.
    open_in_queue(page, "Un bouton « tout télécharger » dans Mon espace santé")
    candidate = page.locator(".fr-card", has_text="Pouvoir télécharger tout mon dossier en un seul fichier")
    expect(candidate).to_contain_text("d’accord")
    page.screenshot(path=str(artifacts_dir / "moderation-duplicate.png"), full_page=True)
    candidate.get_by_role("button", name="Fusionner dans").click()
    expect(notice(page)).to_contain_text("Fusionnée avec la contribution")

    # 4. Mask the phone number of a flagged contribution; the public page no longer shows it.
    open_in_queue(page, "Mon expérience avec le dossier médical de mon père")
    expect(page.locator("mark.consult-pd", has_text=PHONE)).to_be_visible()
    page.locator("#action-redact label", has_text=PHONE).click()
    page.screenshot(path=str(artifacts_dir / "moderation-redact.png"), full_page=True)
    page.locator("#action-redact button[type=submit]").click()
    expect(notice(page)).to_contain_text("1 donnée(s) masquée(s)")
    expect(page.locator("#panel .consult-prewrap").first).to_contain_text("[téléphone]")
    contribution_id = page.locator("[data-panel]").get_attribute("data-panel").split(":")[1]

    # 5. Correct its principles: add principle 10 as a moderator's label.
    page.locator("#action-labels label[for='labels-P10']").click()
    page.locator("#action-labels button[type=submit]").click()
    expect(notice(page)).to_have_text("Le thème et les principes sont corrigés.")

    public = page.context.new_page()
    public.goto(f"{base}/contributions/{contribution_id}")
    expect(public.locator("main")).not_to_contain_text(PHONE)
    public.close()

    # Every action is in the journal.
    page.goto(base + "/moderation/journal")
    journal = page.locator("main table")
    for label in ("Publication", "Refus", "Fusion de doublon", "Masquage de données personnelles"):
        expect(journal).to_contain_text(label)
    expect(journal).to_contain_text("Correction du thème et des principes")
    page.screenshot(path=str(artifacts_dir / "moderation-journal.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    assert not errors, errors
