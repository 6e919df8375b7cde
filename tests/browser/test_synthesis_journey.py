"""An analyst filters the dashboard and downloads the PDF synthesis; axe-core on the dashboard and import pages."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from consult.demo import DEMO_SLUG
from consult.models import Consultation, Role, User
from tests.browser.test_accessibility import (  # noqa: F401 (browser_context_args: axe needs the CSP bypassed)
    axe_violations,
    browser_context_args,
    check_pages,
    describe,
    log_in,
)
from tests.consult.report_factories import store_run

PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture
def analysed(live_server):
    """The demo consultation with a stored analysis run (built by hand: the journey is about the pages)."""
    from consult.db import get_session

    with live_server.app_context():
        session = get_session()
        consultation = session.exec(select(Consultation).where(Consultation.slug == DEMO_SLUG)).one()
        authors = session.exec(select(User).where(User.role == Role.CITIZEN).order_by(User.id).limit(5)).all()
        stored = store_run(session, consultation, authors)
        session.commit()
    return live_server, stored


def figure(page, n: int) -> str:
    return page.locator("#key-figures .fr-tile__title").nth(n).inner_text()


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext is not installed (apt-get install poppler-utils)")
def test_analyst_filters_the_dashboard_and_downloads_the_pdf(page, analysed, artifacts_dir, tmp_path):
    live_server, stored = analysed
    base = live_server.config["LIVE_URL"]
    log_in(page, base, Role.ANALYST)
    page.get_by_role("link", name="Tableaux de bord").first.click()
    page.get_by_role("link", name=re.compile("principes du numérique en santé", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tableau de bord")
    total = int(figure(page, 0).replace("\u202f", "").replace("\xa0", ""))
    assert total >= 8  # the demo's published contributions the run read
    page.screenshot(path=str(artifacts_dir / "synthesis-1-dashboard.png"), full_page=True)

    page.get_by_label("Thème", exact=True).select_option(label="Mon espace santé et dossier médical partagé (DMP)")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#key-figures .fr-tile__title").first).to_have_text("4")
    expect(page).to_have_url(re.compile(r"theme=1"))
    expect(page.locator("#dashboard-results .fr-badge", has_text="Filtres appliqués")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "synthesis-2-filtered.png"), full_page=True)
    violations = axe_violations(page)
    assert not violations, describe("dashboard filtered", violations)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Synthèse PDF").click()
    download = download_info.value
    assert re.fullmatch(rf"synthese-{DEMO_SLUG}-analyse-\d+\.pdf", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Les principes du numérique en santé" in text and "Méthode et limites" in text
    assert "Ce texte ne doit apparaître nulle part" not in text

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"Thème « Mon espace santé.*\(PDF\)")).click()
    assert "-theme-1-" in download_info.value.suggested_filename


def test_dashboard_and_import_pages_are_accessible(page, analysed, tmp_path):
    live_server, _ = analysed
    base = live_server.config["LIVE_URL"]
    log_in(page, base, Role.ANALYST)
    check_pages(
        page,
        base,
        [
            "/tableau-de-bord/",
            f"/consultations/{DEMO_SLUG}/tableau-de-bord",
            f"/consultations/{DEMO_SLUG}/tableau-de-bord?principle=P05&start=2020-01-01&end=hier",
            f"/consultations/{DEMO_SLUG}/import",
        ],
    )
    # The import page with a problem report, then with a successful check.
    bad = tmp_path / "atelier.csv"
    bad.write_text("texte,auteur\nUne idée,a\n,b\n", encoding="utf-8")
    page.goto(f"{base}/consultations/{DEMO_SLUG}/import")
    page.locator("#file").set_input_files(str(bad))
    page.get_by_role("button", name=re.compile("Vérifier le fichier")).click()
    expect(page.locator("#import-problems")).to_contain_text("ligne 3 : texte vide.", timeout=60_000)
    violations = axe_violations(page)
    assert not violations, describe("import with problems", violations)
    bad.write_text("texte\nUne idée recueillie en atelier.\n", encoding="utf-8")
    page.goto(f"{base}/consultations/{DEMO_SLUG}/import")
    page.locator("#file").set_input_files(str(bad))
    page.get_by_role("button", name=re.compile("Vérifier le fichier")).click()
    expect(page.get_by_role("button", name="Importer 1 contribution")).to_be_visible(timeout=60_000)
    violations = axe_violations(page)
    assert not violations, describe("import checked", violations)
    page.get_by_role("button", name="Importer 1 contribution").click()
    expect(page.locator("#import-report")).to_contain_text("Import n°", timeout=60_000)
    violations = axe_violations(page)
    assert not violations, describe("imported", violations)
