"""DOCX (python-docx): the synthesis's text, quotes and tables; charts are given by their tables of figures."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from consult.reports import wording
from consult.reports.synthesis import Synthesis
from consult.reports.tables import Sheet, sheets

BLUE = RGBColor(0x00, 0x00, 0x91)


def _table(document, sheet: Sheet, limit: int | None = None) -> None:
    rows = sheet.rows if limit is None else sheet.rows[:limit]
    document.add_paragraph(sheet.caption, style="Caption")
    table = document.add_table(rows=1, cols=len(sheet.headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, sheet.headers, strict=True):
        cell.text = str(header)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = wording.cell(value)


def render_docx(synthesis: Synthesis) -> bytes:
    s = synthesis
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Marianne"
    style.font.size = Pt(10)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        document.styles[name].font.color.rgb = BLUE
    properties = document.core_properties
    properties.title = wording.document_title(s)
    properties.author = "Délégation au numérique en santé"
    properties.subject = s.question
    # The run's date, not today's: the same run gives the same document.
    properties.created = properties.modified = wording.run_datetime(s) or datetime(2000, 1, 1, tzinfo=UTC)
    properties.last_modified_by = "Délégation au numérique en santé"
    properties.revision = 1

    header = document.add_paragraph()
    header.add_run("RÉPUBLIQUE FRANÇAISE\n").bold = True
    header.add_run("Délégation au numérique en santé")
    document.add_paragraph(wording.kicker(s))
    document.add_heading(wording.document_title(s), level=0)
    document.add_paragraph(s.question).alignment = WD_ALIGN_PARAGRAPH.LEFT
    document.add_paragraph(wording.cover_facts(s))

    by_name = {sheet.name: sheet for sheet in sheets(s)}
    document.add_heading("L'essentiel", level=1)
    for paragraph in wording.essentials(s):
        document.add_paragraph(paragraph)
    _table(document, by_name["Chiffres clés"])

    document.add_heading("La participation", level=1)
    document.add_paragraph(wording.participation(s))
    _table(document, by_name["Participation"])
    _table(document, by_name["Canaux"])
    if "Modération" in by_name:
        _table(document, by_name["Modération"])

    document.add_heading("Les thèmes", level=1)
    document.add_paragraph(wording.THEMES_INTRO)
    _table(
        document,
        Sheet(
            "Thèmes",
            "Contributions et votes par thème",
            by_name["Thèmes"].headers[:6],
            tuple(row[:6] for row in by_name["Thèmes"].rows),
        ),
    )
    for theme in s.themes:
        document.add_heading(theme.title, level=2)
        document.add_paragraph(wording.theme_facts(theme, s.scope is None))
        document.add_paragraph(f"Mots les plus caractéristiques : {', '.join(theme.terms)}")
        if len(theme.ideas) > 1:
            document.add_heading("Les idées", level=3)
            for idea in theme.ideas:
                document.add_paragraph(wording.idea_line(idea), style="List Number")
        if theme.quotes:
            document.add_heading("Dans les mots des participants", level=3)
            for quote in theme.quotes:
                paragraph = document.add_paragraph(style="Quote")
                paragraph.add_run(quote.title + "\n").bold = True
                paragraph.add_run(quote.text)
                document.add_paragraph(f"Contribution n° {quote.contribution_id} — {quote.url}", style="Caption")
        if theme.principles:
            document.add_heading("Principes éthiques touchés", level=3)
            document.add_paragraph("; ".join(f"{p.label} ({p.count})" for p in theme.principles) + ".")
        for heading, statements in (
            ("Ce qui rassemble dans ce thème", theme.consensus),
            ("Ce qui divise dans ce thème", theme.divisive),
        ):
            if statements:
                document.add_heading(heading, level=3)
                for statement in statements:
                    document.add_paragraph(wording.statement_line(statement), style="List Bullet")

    if s.principles:
        document.add_heading("Les principes éthiques", level=1)
        document.add_paragraph(wording.PRINCIPLES_INTRO)
        _table(
            document,
            Sheet(
                "Principes",
                by_name["Principes"].caption,
                by_name["Principes"].headers[:3],
                tuple(row[:3] for row in by_name["Principes"].rows),
            ),
        )
        _table(document, by_name["Thèmes × principes"])

    if s.opinions:
        document.add_heading("Les groupes d'opinion", level=1)
        document.add_paragraph(wording.opinions_intro(s.opinions))
        _table(document, by_name["Groupes d'opinion"])
        for group in s.opinions.groups:
            document.add_heading(f"{group.name} — {group.size} participants", level=2)
            for statement in group.representative:
                document.add_paragraph(wording.group_line(statement), style="List Bullet")
        if s.opinions.consensus:
            document.add_heading("Ce qui rassemble l'ensemble des groupes", level=2)
            for statement in s.opinions.consensus:
                document.add_paragraph(wording.statement_line(statement), style="List Bullet")
        if s.opinions.divisive:
            document.add_heading("Ce qui divise les groupes", level=2)
            _table(document, by_name["Clivages"])

    document.add_heading("Méthode et limites", level=1)
    for paragraph in wording.method_paragraphs(s):
        document.add_paragraph(paragraph)
    _table(document, by_name["Méthode"])
    for limit in s.method.limits:
        document.add_paragraph(limit, style="List Bullet")

    document.add_heading("Annexe : les contributions de chaque thème et idée", level=1)
    for entry in s.annex:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{entry.theme} — {entry.idea} ({len(entry.contribution_ids)}) : ").bold = True
        paragraph.add_run(" ".join(map(str, entry.contribution_ids))).font.size = Pt(8)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
