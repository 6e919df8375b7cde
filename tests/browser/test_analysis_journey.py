"""An analyst starts an analysis of the demo consultation from the site and watches it finish (htmx polling)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from consult.demo import DEMO_SLUG
from consult.models import Role
from tests.browser.test_accessibility import (  # noqa: F401 (browser_context_args: axe needs the CSP bypassed)
    axe_violations,
    browser_context_args,
    check_pages,
    describe,
    log_in,
)


def test_analyst_runs_an_analysis_and_sees_its_results(page, live_server, artifacts_dir):
    base = live_server.config["LIVE_URL"]
    log_in(page, base, Role.ANALYST)
    page.get_by_role("link", name="Analyses").first.click()
    expect(page.get_by_role("heading", name="Analyses", level=1)).to_be_visible()
    page.get_by_role("link", name=re.compile("principes du numérique en santé", re.I)).click()

    page.locator("#n_themes").fill("4")
    page.get_by_role("button", name="Lancer une analyse").click()

    progress = page.locator("progress")
    expect(progress).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "analysis-1-progress.png"), full_page=True)
    violations = axe_violations(page)
    assert not violations, describe("run in progress", violations)
    # The card polls every 2 s and stops once the run is over.
    expect(page.locator(".fr-badge", has_text="Terminée")).to_be_visible(timeout=240_000)
    expect(progress).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "analysis-2-done.png"), full_page=True)

    page.get_by_role("link", name="Toutes les analyses de cette consultation").click()
    expect(page.get_by_role("table", name="Thèmes découverts").locator("tbody tr")).to_have_count(4)
    page.screenshot(path=str(artifacts_dir / "analysis-3-results.png"), full_page=True)
    check_pages(page, base, ["/analyse/", f"/consultations/{DEMO_SLUG}/analyses", "/analyse/apprentissage"])
