"""Analyst dashboard: permissions, filters, htmx fragment, charts with their tables."""

from __future__ import annotations

import re

import pytest

from consult.models import Role
from tests.consult import report_factories

stored_run = report_factories.stored_run  # the fixture
URL = "/consultations/sante-demain/tableau-de-bord"


def figures(html: str) -> list[str]:
    block = html.split('id="key-figures"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'fr-tile__title">([^<]+)<', block)


@pytest.mark.parametrize("path", ["/tableau-de-bord/", URL])
def test_dashboard_is_for_analysts_and_admins(client, make_user, sign_in, stored_run, path):
    assert client.get(path).status_code == 302
    for role, expected in [(Role.CITIZEN, 403), (Role.MODERATOR, 403), (Role.ANALYST, 200), (Role.ADMIN, 200)]:
        sign_in(make_user(role))
        assert client.get(path).status_code == expected, role


def test_dashboard_shows_the_latest_run_with_charts_and_tables(client, make_user, sign_in, stored_run):
    sign_in(make_user(Role.ANALYST))
    html = client.get(URL).get_data(as_text=True)
    assert figures(html) == ["8", "85", "5", "2"]  # contributions, votes (run counts), authors, themes
    assert f"analyse n° {stored_run.run.id}" in html
    for chart in ("dash-participation", "dash-themes", "dash-principles", "dash-matrix", "dash-opinions"):
        svg = re.search(rf'<svg[^>]*aria-labelledby="{chart}-title {chart}-desc"[^>]*>', html)
        assert svg and 'role="img"' in svg.group(0), chart
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert html.count("<table>") >= 6  # every chart has its table, plus the themes table
    assert "Texte masqué depuis" not in html
    assert 'href="/consultations/sante-demain/synthese.pdf"' in html


def test_filters_select_the_contributions(client, make_user, sign_in, stored_run):
    sign_in(make_user(Role.ANALYST))
    assert figures(client.get(URL + "?theme=1").get_data(as_text=True))[0] == "4"
    assert figures(client.get(URL + "?principle=P05").get_data(as_text=True))[0] == "3"
    assert figures(client.get(URL + "?start=2026-11-04&end=2026-11-05").get_data(as_text=True))[0] == "2"
    html = client.get(URL + "?theme=1").get_data(as_text=True)
    assert "synthese.pdf?theme=1" in html  # the theme's own synthesis
    empty = client.get(URL + "?status=pending").get_data(as_text=True)
    assert figures(empty)[0] == "0" and "Aucune contribution ne correspond" in empty


def test_bad_filters_are_explained(client, make_user, sign_in, stored_run):
    sign_in(make_user(Role.ANALYST))
    response = client.get(URL + "?start=hier&status=nimporte")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Date illisible" in html and figures(html)[0] == "8"
    # The unknown status is said, not silently replaced by "published"
    assert "État inconnu." in html and 'aria-describedby="filter-status-error"' in html
    html = client.get(URL + "?start=2026-11-09&end=2026-11-01").get_data(as_text=True)
    assert "précède son début" in html
    # An unknown theme selects nothing and offers no theme synthesis (its links answered 404)
    html = client.get(URL + "?theme=999").get_data(as_text=True)
    assert "Aucune contribution ne correspond" in html and "theme=999" not in html
    assert client.get("/consultations/sante-demain/synthese.pdf?theme=999").status_code == 404


def test_htmx_gets_the_results_fragment(client, make_user, sign_in, stored_run):
    sign_in(make_user(Role.ANALYST))
    response = client.get(URL + "?theme=0", headers={"HX-Request": "true", "HX-Target": "dashboard-results"})
    html = response.get_data(as_text=True)
    assert (
        response.status_code == 200 and "<html" not in html and html.lstrip().startswith('<div id="dashboard-results"')
    )
    assert figures(html)[0] == "4"


def test_without_a_run_the_dashboard_says_what_to_do(client, make_user, sign_in, make_consultation):
    consultation = make_consultation()
    sign_in(make_user(Role.ANALYST))
    html = client.get(f"/consultations/{consultation.slug}/tableau-de-bord").get_data(as_text=True)
    assert "Aucune analyse terminée" in html and f"/consultations/{consultation.slug}/analyses" in html
