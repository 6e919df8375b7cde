"""One renderer per format, chosen from this table; each turns a Synthesis into bytes and reads nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from consult.reports.synthesis import Synthesis


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    media_type: str
    module: str  # consult.reports.renderers.<module>.render(synthesis) -> bytes, imported when first used


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("pdf", "PDF", "application/pdf", "pdf"),
        Format(
            "docx", "Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
        ),
        Format("odt", "OpenDocument texte (ODT)", "application/vnd.oasis.opendocument.text", "odt"),
        Format("xlsx", "Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "sheets"),
        Format("ods", "OpenDocument tableur (ODS)", "application/vnd.oasis.opendocument.spreadsheet", "sheets"),
        Format("csv", "CSV", "text/csv; charset=utf-8", "data"),
        Format("json", "JSON", "application/json", "data"),
    )
}


def render(synthesis: Synthesis, fmt: str) -> bytes:
    """The synthesis in format `fmt` (a key of FORMATS)."""
    module = import_module(f"consult.reports.renderers.{FORMATS[fmt].module}")
    return getattr(module, f"render_{fmt}")(synthesis)


def filename(synthesis: Synthesis, fmt: str) -> str:
    scope = f"-theme-{synthesis.scope_key.replace('.', '-')}" if synthesis.scope_key else ""
    return f"synthese-{synthesis.slug}{scope}-analyse-{synthesis.run_id}.{fmt}"
