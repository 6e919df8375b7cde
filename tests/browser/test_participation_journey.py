"""A citizen submits a contribution; a second citizen finds it, votes (and changes the vote without a page
reload), comments; sorts and filters live in the URL and come back with the back button. CSRF on, Debian's
Chromium, no console error and no CSP violation anywhere."""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from consult.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_SLUG
from consult.models import Role
from consult.taxonomy.services import read_taxonomy
from tests.browser.conftest import mailed_link

TITLE = "Un journal horodaté des accès à mon dossier médical"
BODY = (
    "Chaque consultation de mon dossier par un professionnel devrait apparaître dans un journal horodaté, "
    "avec une alerte en cas d'accès inhabituel."
)
COMMENT = "Oui, et ce journal devrait être lisible depuis l'application mobile."


@pytest.fixture(autouse=True)
def expect_timeout():
    expect.set_options(timeout=10_000)
    yield
    expect.set_options(timeout=5_000)


class Citizen:
    """One visitor in their own browser context, with every console error and page error recorded."""

    def __init__(self, browser: Browser, context_args: dict, base: str, name: str):
        self.context = browser.new_context(**context_args)
        self.page: Page = self.context.new_page()
        self.base = base
        self.name = name
        self.errors: list[str] = []
        self.navigations = 0
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"{name} pageerror: {error}"))
        self.page.on("framenavigated", self._navigated)

    def _console(self, message) -> None:
        # CSP violations are reported by Chromium as console errors ("Refused to … Content Security Policy").
        if message.type == "error" or "Content Security Policy" in message.text:
            self.errors.append(f"{self.name} console {message.type}: {message.text} ({message.location.get('url')})")

    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigations += 1

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, path

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query)


@pytest.fixture
def citizens(browser, browser_context_args, live_server):
    made: list[Citizen] = []

    def make(name: str) -> Citizen:
        citizen = Citizen(browser, browser_context_args, live_server.config["LIVE_URL"], name)
        made.append(citizen)
        return citizen

    yield make
    errors = [error for citizen in made for error in citizen.errors]
    for citizen in made:
        citizen.context.close()
    assert errors == [], "console errors or CSP violations during the journey:\n" + "\n".join(errors)


@contextmanager
def htmx_settled(page: Page):
    """Wait, after the block, until htmx has swapped and settled the response of the request it started."""
    page.evaluate(
        "() => { window.settled = false;"
        " document.body.addEventListener('htmx:afterSettle', () => { window.settled = true }, {once: true}) }"
    )
    yield
    page.wait_for_function("() => window.settled", timeout=10_000)


def cards(page: Page):
    return page.locator("#contribution-results .fr-card")


def agree_counts(page: Page) -> list[int]:
    """The agree count shown on each card's vote button, in list order."""
    counts = page.locator("#contribution-results .fr-card button[name=value][value='1'] span[aria-hidden=true]")
    return [int(text) for text in counts.all_inner_texts()]


def test_contribute_vote_comment_sort_filter(citizens, mailbox, artifacts_dir):
    # 1. A first citizen (demo account) submits a contribution with a theme and a principle.
    author = citizens("author")
    page = author.page
    email, pseudonym = DEMO_ACCOUNTS[Role.CITIZEN]
    author.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name=pseudonym)).to_be_visible()

    author.goto(f"/consultations/{DEMO_SLUG}/contributions")
    page.get_by_role("link", name="Proposer une contribution").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Proposer une contribution")
    page.locator("#title").fill(TITLE)
    page.locator("#body").fill(BODY)
    theme = page.locator("#theme option").nth(1)
    theme_id, theme_label = theme.get_attribute("value"), theme.inner_text().strip()
    page.locator("#theme").select_option(theme_id)
    principle = page.locator("input[name=principles]").first
    page.locator(f"label[for={principle.get_attribute('id')}]").click()  # DSFR draws the box on the label
    expect(principle).to_be_checked()
    principle_id = principle.get_attribute("value")
    page.screenshot(path=str(artifacts_dir / "participation-1-form.png"), full_page=True)
    page.get_by_role("button", name="Envoyer ma contribution").click()

    expect(page.get_by_text("Merci ! Votre contribution est publiée.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    # Readable labels: the theme's short label, the principle's short name with its number on the contribution
    # page; the full wording is the tag's title.
    taxonomy = read_taxonomy("config/taxonomy.yaml")
    theme_short = next(t["short_fr"] for t in taxonomy["themes"] if t["id"] == theme_id)
    principle_data = next(p for p in taxonomy["principles"] if p["id"] == principle_id)
    tags = page.locator("main .fr-tags-group").first
    expect(tags.locator(".fr-tag").first).to_have_text(theme_short)
    expect(tags.locator(".fr-tag").first).to_have_attribute("title", theme_label)
    expect(tags).to_contain_text(f"Principe {principle_data['number']} · {principle_data['short_fr']}")
    contribution_path = urlsplit(page.url).path
    assert re.fullmatch(r"/contributions/\d+", contribution_path)
    contribution_id = contribution_path.rsplit("/", 1)[1]

    # 2. A second citizen signs up, in another browser context.
    voter = citizens("voter")
    page = voter.page
    voter.goto("/inscription")
    page.get_by_label("Adresse électronique").fill("noe@example.fr")
    page.get_by_label("Pseudonyme").fill("Noé")
    page.get_by_label("Mot de passe").fill("Un-mot-de-passe-s0lide")
    page.locator("label[for=consent]").click(position={"x": 4, "y": 8})  # the box, not the link inside the label
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    page.goto(mailed_link(mailbox, "noe@example.fr"))
    page.get_by_role("button", name="Confirmer mon adresse").click()
    page.get_by_label("Adresse électronique").fill("noe@example.fr")
    page.get_by_label("Mot de passe").fill("Un-mot-de-passe-s0lide")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name="Noé")).to_be_visible()

    # 3. Sorting: most agreed first, in the URL.
    voter.goto(f"/consultations/{DEMO_SLUG}/contributions")
    expect(cards(page).first).to_be_visible()
    with htmx_settled(page):
        page.locator("#sort").select_option("agreed")
    expect(page).to_have_url(re.compile(r"[?&]sort=agreed"))
    counts = agree_counts(page)
    assert len(counts) > 1 and counts == sorted(counts, reverse=True), counts

    # 4. Filtering by theme: every card carries the theme, and the URL keeps both choices.
    with htmx_settled(page):
        page.locator("#theme").select_option(theme_id)
    expect(page).to_have_url(re.compile(rf"[?&]theme={theme_id}"))
    assert voter.query() == {"sort": ["agreed"], "theme": [theme_id]}
    expect(cards(page).first).to_be_visible()
    for card in cards(page).all():
        expect(card.locator(".fr-tags-group")).to_contain_text(theme_short)
    counts = agree_counts(page)
    assert counts == sorted(counts, reverse=True), counts

    # The back button undoes the theme filter, forward brings it back (htmx history, full page restore).
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?sort=agreed$"))
    expect(page.locator("#theme")).to_have_value("")
    expect(page.locator("#sort")).to_have_value("agreed")
    page.go_forward()
    expect(page.locator("#theme")).to_have_value(theme_id)
    expect(page.locator("#sort")).to_have_value("agreed")

    # 5. Search narrows the list to the new contribution.
    page.get_by_label("Rechercher dans les titres et les textes").fill("horodaté")
    with htmx_settled(page):
        page.get_by_label("Rechercher dans les titres et les textes").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=horodat"))
    expect(cards(page)).to_have_count(1)
    card = cards(page).first
    expect(card.get_by_role("heading")).to_have_text(TITLE)
    expect(card.locator("mark")).to_have_text(["horodaté", "horodaté"])  # highlighted in the title and the text
    card_tags = card.locator(".fr-tags-group .fr-tag")
    expect(card_tags).to_have_text([theme_short, principle_data["short_fr"]])  # short names, no "Principe N"
    page.screenshot(path=str(artifacts_dir / "participation-2-filtered.png"), full_page=True)

    # 6. Vote, then change the vote: the buttons update in place, the page is never reloaded.
    page.evaluate("() => { window.journeyMarker = 'still here' }")
    navigations = voter.navigations
    agree = card.locator("button[name=value][value='1']")
    disagree = card.locator("button[name=value][value='-1']")
    agree.click()
    expect(agree).to_have_attribute("aria-pressed", "true")
    expect(agree.locator("span[aria-hidden=true]")).to_have_text("1")
    disagree.click()
    expect(disagree).to_have_attribute("aria-pressed", "true")
    expect(agree).to_have_attribute("aria-pressed", "false")
    expect(agree.locator("span[aria-hidden=true]")).to_have_text("0")
    expect(disagree.locator("span[aria-hidden=true]")).to_have_text("1")
    assert page.evaluate("() => window.journeyMarker") == "still here"
    assert voter.navigations == navigations
    page.screenshot(path=str(artifacts_dir / "participation-3-voted.png"), full_page=True)

    # 7. Into the contribution and back: the list comes back with its filters (they are in the URL).
    card.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"{contribution_path}$"))
    expect(page.locator(f"#votes-{contribution_id} button[value='-1']")).to_have_attribute("aria-pressed", "true")
    page.go_back()
    assert voter.query() == {"q": ["horodaté"], "sort": ["agreed"], "theme": [theme_id]}
    expect(page.locator("#q")).to_have_value("horodaté")
    expect(page.locator("#sort")).to_have_value("agreed")
    expect(page.locator("#theme")).to_have_value(theme_id)
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first.locator("button[value='-1']")).to_have_attribute("aria-pressed", "true")  # not stale

    # The principle filter: the contribution has the first principle, not the second.
    options = page.locator("#principle option").evaluate_all("options => options.map(option => option.value)")
    other_principle = next(value for value in options if value and value != principle_id)
    with htmx_settled(page):
        page.locator("#principle").select_option(other_principle)
    expect(cards(page)).to_have_count(0)
    expect(page.get_by_text("Aucune contribution ne correspond à ces critères.")).to_be_visible()
    with htmx_settled(page):
        page.locator("#principle").select_option(principle_id)
    expect(page).to_have_url(re.compile(rf"[?&]principle={principle_id}"))
    expect(cards(page)).to_have_count(1)
    cards(page).first.get_by_role("link", name=TITLE).click()

    # 8. Comment on the contribution page: the thread updates in place.
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.evaluate("() => { window.journeyMarker = 'comment' }")
    navigations = voter.navigations
    page.get_by_label("Votre commentaire").fill(COMMENT)
    page.get_by_role("button", name="Commenter").click()
    thread = page.locator(f"#comments-{contribution_id}")
    expect(thread.get_by_role("heading", level=2)).to_have_text("1 commentaire")
    expect(thread).to_contain_text(COMMENT)
    expect(thread).to_contain_text("Noé")
    expect(page.get_by_label("Votre commentaire")).to_have_value("")
    assert page.evaluate("() => window.journeyMarker") == "comment"
    assert voter.navigations == navigations
    page.screenshot(path=str(artifacts_dir / "participation-4-commented.png"), full_page=True)

    # 9. The author sees the vote and the comment.
    author.goto(contribution_path)
    expect(author.page.get_by_text("1 personne pas d’accord")).to_be_visible()
    expect(author.page.locator(f"#comments-{contribution_id}")).to_contain_text(COMMENT)
    author.page.screenshot(path=str(artifacts_dir / "participation-5-author.png"), full_page=True)
