"""The charts of a synthesis (SVG with their tables), shared by the PDF and ODT renderers."""

from __future__ import annotations

from consult.reports.charts import Chart, agreement_chart, bar_chart, column_chart, heatmap, scatter
from consult.reports.synthesis import Synthesis


def synthesis_charts(s: Synthesis) -> dict[str, Chart]:
    charts = {}
    if s.participation:
        charts["participation"] = column_chart(
            "chart-participation",
            f"Contributions publiées par {s.participation_unit}",
            f"Nombre de contributions publiées analysées, par {s.participation_unit} de dépôt, "
            f"du {s.participation[0][0]} au {s.participation[-1][0]}.",
            s.participation,
            label_header="Jour" if s.participation_unit == "jour" else "Semaine du",
        )
    if s.channels:
        charts["channels"] = bar_chart(
            "chart-channels",
            "Contributions par canal",
            "Nombre et part des contributions analysées selon le canal par lequel elles sont arrivées.",
            [(c.chart_label, c.count) for c in s.channels],
            label_header="Canal",
        )
    if s.themes:
        charts["themes"] = bar_chart(
            "chart-themes",
            "Contributions par thème",
            "Nombre et part des contributions analysées dans chaque thème, du plus au moins fréquent.",
            [(t.short_title, t.count) for t in s.themes],
            total=s.contributions,
            label_header="Thème",
        )
        voted = [(t.short_title, t.votes.agree, t.votes.disagree, t.votes.passes) for t in s.themes if t.votes.total]
        if voted:
            charts["agreement"] = agreement_chart(
                "chart-agreement",
                "Votes sur les contributions de chaque thème",
                "Part des votes d'accord, de désaccord et sans avis sur les contributions de chaque thème.",
                voted,
                label_header="Thème",
            )
    if s.principles:
        charts["principles"] = bar_chart(
            "chart-principles",
            "Principes éthiques touchés",
            "Nombre et part des contributions analysées rattachées à chacun des principes européens d'éthique "
            "du numérique en santé.",
            [(p.chart_label, p.count) for p in s.principles],
            total=s.contributions,
            label_header="Principe",
            label_width=300,
        )
        if s.matrix.rows and s.matrix.columns:
            charts["matrix"] = heatmap(
                "chart-matrix",
                "Thèmes et principes éthiques",
                "Nombre de contributions de chaque thème (lignes) rattachées à chaque principe (colonnes).",
                [t.short_title for t in s.themes],
                s.matrix.columns,
                s.matrix.values,
                row_header="Thème",
            )
    if s.opinions and s.opinions.points:
        charts["opinions"] = scatter(
            "chart-opinions",
            "Carte des opinions",
            "Chaque point est un participant, placé selon ses votes : les participants qui votent de la même "
            "manière sont proches. Les couleurs indiquent les groupes d'opinion ; le nombre de participants de "
            "chaque groupe est indiqué à côté de son nom.",
            s.opinions.points,
            [(g.name, g.size, g.center) for g in s.opinions.groups],
        )
    return charts
