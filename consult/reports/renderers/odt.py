"""ODT (odfpy), the administration's reference office format (RGI): text, quotes, tables, and the SVG charts."""

from __future__ import annotations

import io

from odf import dc, meta
from odf.draw import Frame, Image
from odf.opendocument import OpenDocumentText
from odf.style import GraphicProperties, ParagraphProperties, Style, TableColumnProperties, TextProperties
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import H, List, ListItem, P, Span

from consult.reports import wording
from consult.reports.figures import synthesis_charts
from consult.reports.synthesis import Synthesis
from consult.reports.tables import Sheet, sheets

BLUE = "#000091"
CM_PER_PX = 16.0 / 640  # charts are drawn 640 px wide and shown 16 cm wide


class _Writer:
    def __init__(self, s: Synthesis):
        self.doc = OpenDocumentText()
        self.s = s
        self._styles()
        self.charts = synthesis_charts(s)

    def _style(self, name: str, family: str, *properties) -> Style:
        style = Style(name=name, family=family)
        for prop in properties:
            style.addElement(prop)
        self.doc.styles.addElement(style)
        return style

    def _styles(self) -> None:
        self.body = self._style(
            "Corps",
            "paragraph",
            TextProperties(fontsize="10pt", fontname="Marianne"),
            ParagraphProperties(marginbottom="0.2cm"),
        )
        self.small = self._style("Petit", "paragraph", TextProperties(fontsize="8pt", color="#666666"))
        self.quote = self._style(
            "Citation",
            "paragraph",
            TextProperties(fontsize="10pt", fontstyle="italic"),
            ParagraphProperties(marginleft="0.6cm", borderleft=f"0.08cm solid {BLUE}", padding="0.15cm"),
        )
        self.headings = {
            level: self._style(
                f"Titre{level}",
                "paragraph",
                TextProperties(fontsize=size, fontweight="bold", color=BLUE),
                ParagraphProperties(margintop="0.4cm", marginbottom="0.2cm"),
            )
            for level, size in ((1, "16pt"), (2, "13pt"), (3, "11pt"))
        }
        self.bold = self._style("Gras", "text", TextProperties(fontweight="bold"))
        self.cell_head = self._style("CelluleTitre", "paragraph", TextProperties(fontweight="bold", fontsize="8.5pt"))
        self.cell = self._style("Cellule", "paragraph", TextProperties(fontsize="8.5pt"))
        self.frame = Style(name="Graphique", family="graphic")
        self.frame.addElement(GraphicProperties(anchortype="paragraph", wrap="none"))
        self.doc.automaticstyles.addElement(self.frame)
        self.column = Style(name="Colonne", family="table-column")
        self.column.addElement(TableColumnProperties(columnwidth="3cm"))
        self.doc.automaticstyles.addElement(self.column)

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.text.addElement(H(outlinelevel=level, stylename=self.headings[level], text=text))

    def paragraph(self, text: str, style=None) -> None:
        self.doc.text.addElement(P(stylename=style or self.body, text=text))

    def bullets(self, lines: list[str]) -> None:
        items = List()
        for line in lines:
            item = ListItem()
            item.addElement(P(stylename=self.body, text=f"• {line}"))
            items.addElement(item)
        self.doc.text.addElement(items)

    def table(self, sheet: Sheet) -> None:
        self.paragraph(sheet.caption, self.small)
        table = Table(name=sheet.name[:31])
        table.addElement(TableColumn(numbercolumnsrepeated=len(sheet.headers), stylename=self.column))
        head = TableRow()
        for header in sheet.headers:
            cell = TableCell()
            cell.addElement(P(stylename=self.cell_head, text=str(header)))
            head.addElement(cell)
        table.addElement(head)
        for row in sheet.rows:
            line = TableRow()
            for value in row:
                cell = TableCell()
                cell.addElement(P(stylename=self.cell, text=wording.cell(value)))
                line.addElement(cell)
            table.addElement(line)
        self.doc.text.addElement(table)

    def chart(self, name: str) -> None:
        chart = self.charts.get(name)
        if chart is None:
            return
        href = self.doc.addPicture(f"Pictures/{chart.id}.svg", "image/svg+xml", str(chart.svg).encode("utf-8"))
        width, height = chart.width * CM_PER_PX, chart.height * CM_PER_PX
        frame = Frame(
            stylename=self.frame,
            width=f"{width:.2f}cm",
            height=f"{height:.2f}cm",
            anchortype="paragraph",
            name=chart.id,
        )
        frame.addElement(Image(href=href))
        holder = P(stylename=self.body)
        holder.addElement(frame)
        self.doc.text.addElement(holder)
        self.paragraph(f"{chart.title}. {chart.description}", self.small)

    def quote_block(self, quote) -> None:
        paragraph = P(stylename=self.quote)
        paragraph.addElement(Span(stylename=self.bold, text=quote.title))
        self.doc.text.addElement(paragraph)
        self.paragraph(quote.text, self.quote)
        self.paragraph(f"Contribution n° {quote.contribution_id} — {quote.url}", self.small)


def render_odt(synthesis: Synthesis) -> bytes:
    s = synthesis
    w = _Writer(s)
    w.doc.meta.addElement(dc.Title(text=wording.document_title(s)))
    w.doc.meta.addElement(dc.Creator(text="Délégation au numérique en santé"))
    w.doc.meta.addElement(dc.Subject(text=s.question))
    if s.method.finished_iso:
        w.doc.meta.addElement(meta.CreationDate(text=s.method.finished_iso[:19]))
        w.doc.meta.addElement(dc.Date(text=s.method.finished_iso[:19]))
    by_name = {sheet.name: sheet for sheet in sheets(s)}

    w.paragraph("RÉPUBLIQUE FRANÇAISE — Délégation au numérique en santé", w.small)
    w.paragraph(wording.kicker(s))
    w.heading(wording.document_title(s), 1)
    w.paragraph(s.question)
    w.paragraph(wording.cover_facts(s))

    w.heading("L'essentiel", 1)
    for paragraph in wording.essentials(s):
        w.paragraph(paragraph)
    w.table(by_name["Chiffres clés"])

    w.heading("La participation", 1)
    w.paragraph(wording.participation(s))
    w.chart("participation")
    w.table(by_name["Canaux"])
    if "Modération" in by_name:
        w.table(by_name["Modération"])

    w.heading("Les thèmes", 1)
    w.paragraph(wording.THEMES_INTRO)
    w.chart("themes")
    w.chart("agreement")
    for theme in s.themes:
        w.heading(theme.title, 2)
        w.paragraph(wording.theme_facts(theme, s.scope is None))
        w.paragraph(f"Mots les plus caractéristiques : {', '.join(theme.terms)}", w.small)
        if len(theme.ideas) > 1:
            w.heading("Les idées", 3)
            w.bullets([wording.idea_line(idea) for idea in theme.ideas])
        if theme.quotes:
            w.heading("Dans les mots des participants", 3)
            for quote in theme.quotes:
                w.quote_block(quote)
        if theme.principles:
            w.heading("Principes éthiques touchés", 3)
            w.paragraph("; ".join(f"{p.label} ({p.count})" for p in theme.principles) + ".")
        for title, statements in (
            ("Ce qui rassemble dans ce thème", theme.consensus),
            ("Ce qui divise dans ce thème", theme.divisive),
        ):
            if statements:
                w.heading(title, 3)
                w.bullets([wording.statement_line(st) for st in statements])

    if s.principles:
        w.heading("Les principes éthiques", 1)
        w.paragraph(wording.PRINCIPLES_INTRO)
        w.chart("principles")
        w.chart("matrix")
        w.table(by_name["Thèmes × principes"])

    if s.opinions:
        w.heading("Les groupes d'opinion", 1)
        w.paragraph(wording.opinions_intro(s.opinions))
        w.chart("opinions")
        w.table(by_name["Groupes d'opinion"])
        for group in s.opinions.groups:
            w.heading(f"{group.name} — {wording.plural(group.size, 'participant')}", 2)
            w.bullets([wording.group_line(st) for st in group.representative])
        if s.opinions.consensus:
            w.heading("Ce qui rassemble l'ensemble des groupes", 2)
            w.bullets([wording.statement_line(st) for st in s.opinions.consensus])
        if s.opinions.divisive:
            w.heading("Ce qui divise les groupes", 2)
            w.table(by_name["Clivages"])

    w.heading("Méthode et limites", 1)
    for paragraph in wording.method_paragraphs(s):
        w.paragraph(paragraph)
    w.table(by_name["Méthode"])
    w.bullets(list(s.method.limits))

    w.heading("Annexe : les contributions de chaque thème et idée", 1)
    for entry in s.annex:
        paragraph = P(stylename=w.body)
        paragraph.addElement(
            Span(stylename=w.bold, text=f"{entry.theme} — {entry.idea} ({len(entry.contribution_ids)}) : ")
        )
        paragraph.addText(" ".join(map(str, entry.contribution_ids)))
        w.doc.text.addElement(paragraph)

    buffer = io.BytesIO()
    w.doc.write(buffer)
    return buffer.getvalue()
