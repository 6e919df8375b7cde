"""XLSX (openpyxl) and ODS (odfpy): one sheet per table of the synthesis, numbers as numbers."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from consult.reports import wording
from consult.reports.synthesis import Synthesis
from consult.reports.tables import sheets

MAX_WIDTH = 60


def _sheet_title(name: str) -> str:
    return name.replace("×", "x")[:31]


def render_xlsx(synthesis: Synthesis) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    stamp = (wording.run_datetime(synthesis) or datetime(2000, 1, 1, tzinfo=UTC)).replace(tzinfo=None)
    workbook.properties.creator = "Délégation au numérique en santé"
    workbook.properties.title = wording.document_title(synthesis)
    workbook.properties.created = workbook.properties.modified = stamp
    for table in sheets(synthesis):
        sheet = workbook.create_sheet(_sheet_title(table.name))
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
        for index, header in enumerate(table.headers, start=1):
            longest = max([len(str(header))] + [len(str(row[index - 1])) for row in table.rows[:200]])
            sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, longest + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render_ods(synthesis: Synthesis) -> bytes:
    from odf import dc
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TextProperties
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    document.meta.addElement(dc.Title(text=wording.document_title(synthesis)))
    document.meta.addElement(dc.Creator(text="Délégation au numérique en santé"))
    bold = Style(name="Titre", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)
    for table in sheets(synthesis):
        sheet = Table(name=_sheet_title(table.name))
        head = TableRow()
        for header in table.headers:
            cell = TableCell(valuetype="string", stylename=bold)
            cell.addElement(P(text=str(header)))
            head.addElement(cell)
        sheet.addElement(head)
        for row in table.rows:
            line = TableRow()
            for value in row:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                else:
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                line.addElement(cell)
            sheet.addElement(line)
        document.spreadsheet.addElement(sheet)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()
