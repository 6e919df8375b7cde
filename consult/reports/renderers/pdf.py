"""PDF: the synthesis as HTML (templates/reports/synthesis.html) printed by WeasyPrint, charts inline as SVG."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template

from consult.reports import wording
from consult.reports.figures import synthesis_charts
from consult.reports.synthesis import Synthesis

CSS = "reports/_synthesis.css"


def synthesis_html(synthesis: Synthesis) -> str:
    css = current_app.jinja_env.loader.get_source(current_app.jinja_env, CSS)[0]
    return render_template(
        "reports/synthesis.html", s=synthesis, charts=synthesis_charts(synthesis), css=css, w=wording
    )


def render_pdf(synthesis: Synthesis) -> bytes:
    from weasyprint import HTML

    static = Path(current_app.static_folder)
    document = HTML(string=synthesis_html(synthesis), base_url=str(static) + "/").render()
    return document.write_pdf()
