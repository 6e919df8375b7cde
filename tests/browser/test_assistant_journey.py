"""The assistant in Debian's Chromium, keyboard only: ask "à quoi sert l'INS ?", get a sourced answer, then turn a
concern into a submitted contribution (signing in inline, the draft kept) and vote, entirely in the chat."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from consult.db import get_session
from consult.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_SLUG
from consult.models import Channel, Contribution, Role, Vote
from tests.browser.test_accessibility import axe_violations, describe

CONCERN = "Je voudrais que chaque patient voie qui a consulté son dossier médical partagé, avec la date et l'heure"
SCREENSHOTS = "assistant"


@pytest.fixture(autouse=True)
def expect_timeout():
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": True}  # axe is injected inline


def tab_to(page: Page, target, limit: int = 150) -> None:
    """Press Tab until `target` has the focus (the keyboard user's only way around)."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} not reached in {limit} Tab presses")


def send(page: Page, text: str) -> None:
    box = page.locator("#text")
    tab_to(page, box)
    page.keyboard.type(text)
    tab_to(page, page.get_by_role("button", name="Envoyer", exact=True))
    page.keyboard.press("Enter")


def check_axe(page: Page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, describe(what, violations)


def test_keyboard_journey_question_contribution_and_vote(page, live_server, artifacts_dir):
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/assistant/?consultation={DEMO_SLUG}")
    check_axe(page, "/assistant/")

    # A question, answered with its sources; the focus comes back to the message box.
    send(page, "à quoi sert l'INS ?")
    log = page.locator("#assistant-log")
    expect(log).to_contain_text("identité nationale de santé")
    expect(log.locator("a[href*='esante.gouv.fr']").first).to_be_visible()
    expect(page.locator("#text")).to_be_focused()
    page.screenshot(path=str(artifacts_dir / f"{SCREENSHOTS}-answer.png"), full_page=True)
    check_axe(page, "/assistant/ (answer)")

    # A concern: the closest contributions are offered first; none says it, so the citizen writes their own.
    send(page, "je veux proposer une idée")
    expect(log).to_contain_text("Qu'est-ce qui compte pour vous")
    send(page, CONCERN)
    write = page.get_by_role("button", name="Aucune ne le dit : rédiger ma contribution")
    draft_title = page.locator("#title")
    if not draft_title.is_visible():
        tab_to(page, write)
        page.keyboard.press("Enter")
    expect(draft_title).to_be_visible()
    expect(page.locator("#body")).to_have_value(re.compile("dossier médical partagé"))
    page.screenshot(path=str(artifacts_dir / f"{SCREENSHOTS}-draft.png"), full_page=True)
    check_axe(page, "/assistant/ (draft)")

    # Sending needs an account: the sign-in panel opens in the chat, and the draft survives the sign-in.
    tab_to(page, page.get_by_role("button", name="Envoyer ma contribution"))
    page.keyboard.press("Enter")
    email = page.locator("#assistant-login #email")
    expect(email).to_be_focused()
    check_axe(page, "/assistant/ (sign-in panel)")
    account, _ = DEMO_ACCOUNTS[Role.CITIZEN]
    page.keyboard.type(account)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    assert page.locator("#assistant-login #email").input_value() == account, page.evaluate("document.activeElement.id")
    assert page.locator("#assistant-login #password").input_value() == DEMO_PASSWORD
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/assistant/#derniere-reponse$"))
    expect(page.locator("#body")).to_have_value(re.compile("dossier médical partagé"))
    tab_to(page, page.get_by_role("button", name="Envoyer ma contribution"))
    page.keyboard.press("Enter")
    expect(log).to_contain_text("Merci ! Votre contribution est")
    page.screenshot(path=str(artifacts_dir / f"{SCREENSHOTS}-submitted.png"), full_page=True)

    # Then a vote, in the chat: routed contributions one at a time, answered with the keyboard.
    tab_to(page, page.get_by_role("button", name="Voter sur d’autres propositions").last)
    page.keyboard.press("Enter")
    agree = page.locator("#derniere-reponse").get_by_role("button", name=re.compile("^D'accord"))
    tab_to(page, agree)
    page.keyboard.press("Enter")
    expect(log).to_contain_text("est enregistré")
    page.screenshot(path=str(artifacts_dir / f"{SCREENSHOTS}-vote.png"), full_page=True)
    check_axe(page, "/assistant/ (vote)")

    with live_server.app_context():
        session = get_session()
        contribution = session.exec(select(Contribution).where(Contribution.body == CONCERN)).one()
        assert contribution.channel == Channel.CHAT
        assert session.exec(select(Vote).where(Vote.user_id == contribution.author_id)).first() is not None
    assert not errors


def test_compact_panel_on_the_consultation_page(page, live_server, artifacts_dir):
    base = live_server.config["LIVE_URL"]
    page.goto(f"{base}/consultations/{DEMO_SLUG}")
    box = page.locator("#assistant-panel-text")
    tab_to(page, box)
    page.keyboard.type("c'est quoi mon espace santé ?")
    page.keyboard.press("Enter")
    panel = page.locator("#assistant-panel")
    expect(panel).to_contain_text("Mon espace santé")
    expect(panel.locator("[role=log] a").first).to_be_visible()  # a source
    expect(page.locator("#assistant-panel-text")).to_be_focused()
    panel.screenshot(path=str(artifacts_dir / f"{SCREENSHOTS}-panel.png"))
    check_axe(page, f"/consultations/{DEMO_SLUG} (assistant panel)")
