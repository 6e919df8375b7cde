"""Syntheses: built from a stored run, every format holds the sections and figures, determinism, permissions."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

from consult.models import Role
from consult.reports.renderers import FORMATS, filename, render
from consult.reports.synthesis import NoResults, build_synthesis
from tests.consult import report_factories

stored_run = report_factories.stored_run  # the fixture
PDFTOTEXT = shutil.which("pdftotext")


def synthesis(app, session, stored, **kwargs):
    with app.app_context():
        return build_synthesis(session=session, run=stored.run, **kwargs)


def rendered(app, synthesis_, fmt) -> bytes:
    with app.test_request_context():
        return render(synthesis_, fmt)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "synthese.pdf"
    path.write_bytes(data)
    return subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_synthesis_counts_published_contributions_with_the_runs_votes(app, session, stored_run):
    s = synthesis(app, session, stored_run)
    data, access = s.themes
    # Titled by the reference theme each discovered theme maps to (taxonomy wording).
    assert data.title == "Interopérabilité des logiciels et des systèmes d'information"
    assert access.title == "Mon espace santé et dossier médical partagé (DMP)"
    assert (data.count, access.count, s.contributions) == (4, 4, 8)  # the hidden one is left out
    assert data.contribution_ids == tuple(c.id for c in stored_run.contributions[:4])
    # Votes as the run counted them, not today's counters (the factory leaves those at 0).
    assert (data.votes.agree, data.votes.disagree, data.votes.passes) == (26, 20, 4)
    assert s.votes == sum(
        sum(v) for v in [(12, 3, 1), (2, 9, 1), (7, 7, 2), (5, 1, 0), (0, 0, 0), (9, 2, 1), (3, 8, 0), (4, 4, 4)]
    )
    assert [i.name for i in data.ideas] == ["Consentement explicite pour la recherche"]
    assert data.ideas[0].contribution_ids == (stored_run.contributions[1].id, stored_run.contributions[2].id)
    assert [(p.key, p.count) for p in data.principles] == [("P05", 3), ("P07", 2)]
    assert dict(s.key_figures)["Participants (auteurs et votants)"] == "21"
    assert [(m.key, m.count) for m in s.moderation] == [("published", 9), ("pending", 2), ("rejected", 1)]
    assert s.method.run_id == stored_run.run.id and s.method.fingerprint == "ab" * 32
    annexed = sorted(cid for entry in s.annex for cid in entry.contribution_ids)
    assert annexed == sorted(c.id for c in stored_run.contributions)  # every counted contribution is listed


def test_unpublished_text_never_appears_and_quotes_are_masked(app, session, stored_run):
    s = synthesis(app, session, stored_run)
    document = rendered(app, s, "json").decode()
    assert "Ce texte ne doit apparaître nulle part" not in document and "Texte masqué" not in document
    assert str(stored_run.hidden.id) not in [str(c) for c in json.loads(document)["annex"][0]["contribution_ids"]]
    quotes = [q for t in s.themes for q in t.quotes]
    phone = next(q for q in quotes if q.contribution_id == stored_run.phone.id)
    assert "06 12" not in phone.text and "[téléphone]" in phone.text
    assert [st.contribution_id for st in s.opinions.consensus] == [stored_run.contributions[0].id]
    assert all(st.contribution_id != stored_run.hidden.id for g in s.opinions.groups for st in g.representative)


def test_one_theme(app, session, stored_run):
    s = synthesis(app, session, stored_run, theme_key="1")
    assert [t.key for t in s.themes] == ["1"] and s.contributions == 4 and s.scope == s.themes[0].title
    assert s.opinions.consensus == () and s.moderation == ()
    assert dict(s.key_figures)["Auteurs"] == "4"
    with pytest.raises(NoResults):
        synthesis(app, session, stored_run, theme_key="9")


def test_same_run_same_bytes(app, session, stored_run, tmp_path):
    first, second = synthesis(app, session, stored_run), synthesis(app, session, stored_run)
    for fmt in ("csv", "json"):
        assert rendered(app, first, fmt) == rendered(app, second, fmt)
    if PDFTOTEXT:
        assert pdf_text(rendered(app, first, "pdf"), tmp_path) == pdf_text(rendered(app, second, "pdf"), tmp_path)


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext is not installed (apt-get install poppler-utils)")
def test_pdf_holds_the_sections_and_figures(app, session, stored_run, tmp_path):
    data = rendered(app, synthesis(app, session, stored_run), "pdf")
    assert data.startswith(b"%PDF")
    text = " ".join(pdf_text(data, tmp_path).split())
    for expected in (
        "Sommaire",
        "L'essentiel",
        "La participation",
        "Les thèmes",
        "Les principes éthiques",
        "Les groupes d'opinion",
        "Méthode et limites",
        "Annexe",
        "Le numérique en santé de demain",
        "Consentement explicite pour la recherche",
        f"analyse n° {stored_run.run.id}",
        "4 contributions (50,0 % du total)",
        "Groupe A",
        "Carte des opinions",
    ):
        assert expected in text, expected
    assert "06 12 34" not in text and "nulle part" not in text
    assert f"contributions/{stored_run.contributions[1].id}" in text


def test_docx_odt_hold_the_sections_and_figures(app, session, stored_run):
    s = synthesis(app, session, stored_run)
    document = Document(io.BytesIO(rendered(app, s, "docx")))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for expected in ("L'essentiel", "Les thèmes", s.themes[0].title, "Les groupes d'opinion", "Méthode et limites"):
        assert expected in headings
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {s.themes[0].title, "4", "50,0"} <= cells
    assert document.core_properties.author == "Délégation au numérique en santé"

    from odf import teletype
    from odf.opendocument import load
    from odf.text import H, P

    odt = load(io.BytesIO(rendered(app, s, "odt")))
    headings = [teletype.extractText(h) for h in odt.getElementsByType(H)]
    assert "Les thèmes" in headings and s.themes[1].title in headings and "Méthode et limites" in headings
    body = " ".join(teletype.extractText(p) for p in odt.getElementsByType(P))
    assert "Consentement explicite pour la recherche" in body and "06 12" not in body
    archive = zipfile.ZipFile(io.BytesIO(rendered(app, s, "odt")))
    charts = [name for name in archive.namelist() if name.startswith("Pictures/") and name.endswith(".svg")]
    assert "Pictures/chart-themes.svg" in charts and b"<title" in archive.read("Pictures/chart-themes.svg")


def test_spreadsheets_hold_the_tables(app, session, stored_run):
    s = synthesis(app, session, stored_run)
    workbook = load_workbook(io.BytesIO(rendered(app, s, "xlsx")))
    assert {"Chiffres clés", "Thèmes", "Idées", "Principes", "Contributions", "Méthode", "Clivages"} <= set(
        workbook.sheetnames
    )
    themes = list(workbook["Thèmes"].iter_rows(values_only=True))
    assert themes[0][:3] == ("Thème", "Contributions", "Part (%)")
    assert themes[1][1:3] == (4, 50.0) and isinstance(themes[1][1], int)
    ids = {row[0] for row in list(workbook["Contributions"].iter_rows(values_only=True))[1:]}
    assert ids == {c.id for c in stored_run.contributions}

    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    ods = load(io.BytesIO(rendered(app, s, "ods")))
    tables = {t.getAttribute("name"): t for t in ods.spreadsheet.getElementsByType(Table)}
    assert "Thèmes" in tables and "Thèmes x principes" in tables
    first = tables["Thèmes"].getElementsByType(TableRow)[1].getElementsByType(TableCell)
    assert first[1].getAttribute("valuetype") == "float" and first[1].getAttribute("value") == "4"


def test_csv_and_json(app, session, stored_run):
    s = synthesis(app, session, stored_run)
    data = rendered(app, s, "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Contribution", "Date", "Canal", "Thème"] and len(rows) == 9
    by_id = {int(r[0]): r for r in rows[1:]}
    assert by_id[stored_run.contributions[0].id][5] == "P05" and by_id[stored_run.contributions[5].id][2] == "import"
    document = json.loads(rendered(app, s, "json"))
    assert document["format_version"] == 1 and document["run_id"] == stored_run.run.id
    assert [t["count"] for t in document["themes"]] == [4, 4]


def test_file_names(app, session, stored_run):
    s = synthesis(app, session, stored_run, theme_key="1")
    assert filename(s, "pdf") == f"synthese-sante-demain-theme-1-analyse-{stored_run.run.id}.pdf"


@pytest.mark.parametrize(
    "role, expected", [(Role.CITIZEN, 403), (Role.MODERATOR, 403), (Role.ANALYST, 200), (Role.ADMIN, 200)]
)
def test_download_permissions(client, make_user, sign_in, stored_run, role, expected):
    url = "/consultations/sante-demain/synthese.csv"
    assert client.get(url).status_code == 302
    sign_in(make_user(role))
    response = client.get(url)
    assert response.status_code == expected
    if expected == 200:
        assert "attachment" in response.headers["Content-Disposition"]


def test_download_every_format_and_errors(client, make_user, sign_in, stored_run, make_consultation):
    sign_in(make_user(Role.ANALYST))
    for fmt, spec in FORMATS.items():
        response = client.get(f"/consultations/sante-demain/synthese.{fmt}")
        assert response.status_code == 200 and response.mimetype == spec.media_type.split(";")[0], fmt
    assert client.get("/consultations/sante-demain/synthese.exe").status_code == 404
    assert client.get("/consultations/sante-demain/synthese.pdf?theme=42").status_code == 404
    assert client.get("/consultations/nulle-part/synthese.pdf").status_code == 404
    other = make_consultation(slug="sans-analyse")
    response = client.get(f"/consultations/{other.slug}/synthese.pdf")
    assert response.status_code == 409 and "Aucune analyse" in response.get_data(as_text=True)
    run_id = stored_run.run.id
    assert client.get(f"/consultations/{other.slug}/synthese.pdf?analyse={run_id}").status_code == 404
    assert client.get(f"/consultations/sante-demain/synthese.json?analyse={run_id}").status_code == 200


def test_command_line_report(runner, stored_run, make_consultation, tmp_path):
    result = runner.invoke(args=["report", "sante-demain", "--format", "json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = tmp_path / f"synthese-sante-demain-analyse-{stored_run.run.id}.json"
    assert json.loads(written.read_text(encoding="utf-8"))["contributions"] == 8
    out = tmp_path / "theme.xlsx"
    result = runner.invoke(args=["report", "sante-demain", "--theme", "1", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0 and load_workbook(out)["Thèmes"].max_row == 2
    for args, message in [
        (["report", "nulle-part", "--format", "pdf", "--out", str(tmp_path)], "aucune consultation"),
        (["report", "sante-demain", "--theme", "9", "--format", "pdf", "--out", str(tmp_path)], "pas de thème"),
        (["report", "sante-demain", "--analyse", "999", "--format", "pdf", "--out", str(tmp_path)], "n° 999"),
        (["report", make_consultation().slug, "--format", "pdf", "--out", str(tmp_path)], "aucune analyse terminée"),
    ]:
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and message in result.output, args


def test_themes_sharing_a_reference_theme_are_told_apart_by_their_own_words():
    from types import SimpleNamespace

    from consult.analysis.results import ThemeResult
    from consult.reports.synthesis import _theme_titles

    def theme(key, terms, reference="T02"):
        return ThemeResult(key, terms[0], terms, 10, reference, 0.5, [], [])

    reference = {"T02": SimpleNamespace(label_fr="Mon espace santé et DMP", short_fr="Mon espace santé")}
    titles = _theme_titles(
        [
            theme("0", ["accès", "ans", "numérique", "téléphone", "code"]),
            theme("1", ["espace santé", "afficher", "patients", "outils"]),
            theme("2", ["vaccins", "carnet"], reference=None),
            ThemeResult("3", "", ["vélo", "bus"], 5, None, None, [], []),
        ],
        reference,
    )
    # Words the reference wording already holds, and very short words, say nothing about the theme.
    assert titles["0"] == (
        "Mon espace santé et DMP : accès, numérique, téléphone",
        "Mon espace santé : accès, numérique, téléphone",
    )
    assert titles["1"][1] == "Mon espace santé : afficher, patients, outils"
    # Outside the reference themes: the theme's own label (a phrase from its texts), then its other keywords.
    assert titles["2"] == ("Vaccins : carnet", "Vaccins")
    assert titles["3"] == ("Autres sujets : vélo", "Autres : vélo")  # « bus »: too short to tell
