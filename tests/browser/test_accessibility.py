"""RGAA / WCAG 2.1 AA checks in Debian's Chromium: axe-core on the main pages, and keyboard navigation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from consult.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_SLUG
from consult.models import Role
from tests.browser.conftest import mailed_link

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Violations that come from the DSFR itself and that our templates cannot fix. Each entry is
# (axe rule id, CSS selector of the offending node as axe reports it, why). Keep this list short and specific.
# Empty: with DSFR 1.15.3 and axe-core 4.14.1 every violation found so far was ours and has been fixed.
DSFR_KNOWN: list[tuple[str, str, str]] = []

EXPECTED_STATUS = {"/nulle-part": 404, "/confirmation/lien-invalide": 404, "/mot-de-passe/nouveau/lien-invalide": 404}

pytestmark = pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make setup runs npm ci)")


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe is injected as an inline script; the site's CSP (own scripts only) rightly refuses it.
    return {**browser_context_args, "bypass_csp": True}


def axe_violations(page: Page) -> list[dict]:
    """Run axe (WCAG 2.1 A and AA rules) on the page; return its violations minus the documented DSFR ones."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA,
    )
    violations = []
    for violation in result["violations"]:
        nodes = [
            node
            for node in violation["nodes"]
            if not any(rule == violation["id"] and target in node["target"] for rule, target, _ in DSFR_KNOWN)
        ]
        if nodes:
            violations.append({**violation, "nodes": nodes})
    return violations


def describe(url: str, violations: list[dict]) -> str:
    lines = [url]
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])} {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def check_pages(page: Page, base: str, paths: list[str]) -> None:
    """Visit each path and fail once with every page's violations listed."""
    report = []
    for path in paths:
        response = page.goto(base + path)
        assert response.status == EXPECTED_STATUS.get(path, 200), path
        expect(page.locator("main#contenu")).to_be_visible()
        violations = axe_violations(page)
        if violations:
            report.append(describe(path, violations))
    assert not report, "axe found WCAG 2.1 AA violations:\n" + "\n".join(report)


def log_in(page: Page, base: str, role: str = Role.CITIZEN) -> None:
    email, pseudonym = DEMO_ACCOUNTS[role]
    page.goto(base + "/connexion")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("link", name=pseudonym)).to_be_visible()


def first_contribution_path(page: Page, base: str) -> str:
    page.goto(f"{base}/consultations/{DEMO_SLUG}/contributions")
    href = page.locator("main a[href^='/contributions/']").first.get_attribute("href")
    assert href and re.fullmatch(r"/contributions/\d+", href)
    return href


def test_axe_reports_a_violation(page, live_server):
    """The harness itself: axe runs on our pages and a known fault is reported, so a pass means something."""
    page.goto(live_server.config["LIVE_URL"] + "/")
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\\'x.png\\'>')")
    assert [v["id"] for v in axe_violations(page)] == ["image-alt"]


def test_public_pages_in_french(page, live_server):
    base = live_server.config["LIVE_URL"]
    contribution = first_contribution_path(page, base)
    check_pages(
        page,
        base,
        [
            "/",
            "/consultations/",
            f"/consultations/{DEMO_SLUG}",
            f"/consultations/{DEMO_SLUG}/contributions",
            f"/consultations/{DEMO_SLUG}/contributions?sort=divisive&theme=T01",
            contribution,
            "/connexion",
            "/confidentialite",
            "/accessibilite",
            "/mentions-legales",
            "/taxonomie/",
            contribution + "/commentaires",
            "/assistant/",
            f"/assistant/?consultation={DEMO_SLUG}&connexion=1",  # with the sign-in and sign-up panel open
            "/nulle-part",
        ],
    )


def test_signup_with_errors(page, live_server):
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/inscription")
    page.locator("#email").fill("pas-une-adresse")
    page.locator("#password").fill("court")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#password-error")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe("/inscription (errors)", violations)


def test_account_pages_reached_by_email(page, live_server, mailbox):
    """Password reset, "check your mailbox", address confirmation and expired links, in French and English."""
    base = live_server.config["LIVE_URL"]
    email = DEMO_ACCOUNTS[Role.CITIZEN][0]
    page.goto(base + "/mot-de-passe-oublie")
    page.locator("#email").fill(email)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Vérifiez votre messagerie")
    reset = urlsplit(mailed_link(mailbox, email)).path
    page.goto(base + "/inscription")
    page.locator("#email").fill("nouvelle@example.fr")
    page.locator("#pseudonym").fill("Nouvelle")
    page.locator("#password").fill("Un-mot-de-passe-s0lide")
    page.locator("label[for=consent]").click(position={"x": 4, "y": 8})
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Vérifiez votre messagerie")
    confirm = urlsplit(mailed_link(mailbox, "nouvelle@example.fr")).path
    paths = [
        "/mot-de-passe-oublie",
        "/verifiez-votre-messagerie?reason=inscription",
        "/verifiez-votre-messagerie?reason=mot-de-passe",
        confirm,
        reset,
        "/confirmation/lien-invalide",
        "/mot-de-passe/nouveau/lien-invalide",
    ]
    check_pages(page, base, paths)
    # the reset form with a server-side error
    page.goto(base + reset)
    page.locator("#password").fill("court")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#password-error")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe("reset form (errors)", violations)
    page.goto(base + "/langue/en?next=/")
    check_pages(page, base, paths)


def test_signed_in_pages(page, live_server):
    base = live_server.config["LIVE_URL"]
    log_in(page, base)
    contribution = first_contribution_path(page, base)
    check_pages(
        page,
        base,
        [
            f"/consultations/{DEMO_SLUG}/contribuer",
            "/compte/",
            "/compte/mot-de-passe",
            "/mes-contributions",
            contribution,
            contribution + "/commentaires",
            contribution + "/signaler",
            f"/consultations/{DEMO_SLUG}/contributions",
        ],
    )
    # the contribution form with server-side errors
    page.goto(f"{base}/consultations/{DEMO_SLUG}/contribuer")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".fr-error-text").first).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe("contribution form (errors)", violations)


def test_staff_pages(page, live_server):
    base = live_server.config["LIVE_URL"]
    log_in(page, base, Role.ADMIN)
    check_pages(
        page,
        base,
        [
            "/admin/utilisateurs",
            "/admin/consultations/",
            "/admin/consultations/nouvelle",
            f"/admin/consultations/{DEMO_SLUG}/modifier",
            f"/consultations/{DEMO_SLUG}/contributions?status=pending",
        ],
    )


def test_pages_in_english(page, live_server):
    base = live_server.config["LIVE_URL"]
    page.goto(base + "/langue/en?next=/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    contribution = first_contribution_path(page, base)
    check_pages(
        page,
        base,
        ["/", f"/consultations/{DEMO_SLUG}/contributions", contribution, "/inscription", "/assistant/", "/nulle-part"],
    )


def focus_by_tabbing(page: Page, target, limit: int = 120) -> list[str]:
    """Press Tab until `target` has the focus; return the ids (else texts) of the elements met on the way."""
    met = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return met
        met.append(page.evaluate("() => (document.activeElement.id || document.activeElement.innerText || '').trim()"))
    raise AssertionError(f"{target} not reached in {limit} Tab presses; focus went through {met}")


def test_keyboard_reaches_and_operates_the_main_actions(page, live_server):
    base = live_server.config["LIVE_URL"]
    log_in(page, base)
    page.goto(f"{base}/consultations/{DEMO_SLUG}/contributions")

    # the skip links come first, and "Contenu" moves the focus to the main content
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Contenu")
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()

    # from the content: the "propose" action, the filters, then the first contribution's vote buttons
    propose = page.get_by_role("link", name="Proposer une contribution")
    focus_by_tabbing(page, propose, limit=10)
    votes = page.locator("main .consult-votes").first
    agree = votes.get_by_role("button", name=re.compile("^D'accord"))
    met = focus_by_tabbing(page, agree, limit=40)
    assert "q" in met and "sort" in met  # the search field and the sort select, by id

    # Enter votes "agree"; the focus stays on the button after the htmx swap
    was = agree.get_attribute("aria-pressed")
    page.keyboard.press("Enter")
    agree = votes.get_by_role("button", name=re.compile("^D'accord"))
    expect(agree).to_have_attribute("aria-pressed", "false" if was == "true" else "true")
    expect(agree).to_be_focused()

    # Tab to "disagree" and Space votes it, unpressing "agree"
    page.keyboard.press("Tab")
    disagree = votes.get_by_role("button", name=re.compile("^Pas d'accord"))
    expect(disagree).to_be_focused()
    page.keyboard.press(" ")
    expect(votes.get_by_role("button", name=re.compile("^Pas d'accord"))).to_have_attribute("aria-pressed", "true")
    expect(votes.get_by_role("button", name=re.compile("^D'accord"))).to_have_attribute("aria-pressed", "false")


def test_small_screen(page, live_server):
    """At 320 CSS pixels wide (WCAG 1.4.10 reflow), the pages scroll only vertically and axe finds nothing."""
    base = live_server.config["LIVE_URL"]
    log_in(page, base)  # at desktop size: on a small screen the account link sits in the collapsed menu
    page.set_viewport_size({"width": 320, "height": 640})
    contribution = first_contribution_path(page, base)
    for path in [
        "/",
        f"/consultations/{DEMO_SLUG}/contributions",
        contribution,
        f"/consultations/{DEMO_SLUG}/contribuer",
    ]:
        page.goto(base + path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls horizontally by {overflow}px at 320px"
    check_pages(page, base, ["/", f"/consultations/{DEMO_SLUG}/contributions", contribution])


def test_moderation_pages(page, live_server):
    """The moderation workspace: queue, item panels (contribution with personal data, comment), journals."""
    from sqlmodel import select

    from consult.db import get_session
    from consult.models import Comment, Contribution, Flag

    with live_server.app_context():
        session = get_session()
        phone = session.exec(select(Contribution).where(Contribution.title.like("Mon expérience%"))).one()
        comment_id = session.exec(select(Flag.comment_id).where(Flag.comment_id.is_not(None))).first()
        assert session.get(Comment, comment_id) is not None
    base = live_server.config["LIVE_URL"]
    log_in(page, base, Role.MODERATOR)
    check_pages(
        page,
        base,
        [
            "/moderation/",
            "/moderation/?state=comments&flagged=1",
            f"/moderation/contributions/{phone.id}",
            f"/moderation/commentaires/{comment_id}",
            f"/moderation/contributions/{phone.id}/journal",
            "/moderation/journal",
        ],
    )
    # The panel as htmx swaps it into the queue page.
    page.goto(base + "/moderation/")
    page.locator("[data-queue-link]").first.click()
    expect(page.locator("#panel-title")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe("queue with the item panel", violations)
