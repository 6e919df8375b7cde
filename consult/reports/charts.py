"""Accessible SVG charts drawn on the server: no JavaScript, the same markup on the dashboard and in the PDF.

Each chart is a `Chart`: the SVG (role="img", with <title> and <desc> it points to), and the table of the
figures it draws, shown beside it, so that nobody needs to read the picture. Colours come from the DSFR palette
and every bar or point also carries its value as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

# DSFR colours: blue France, and illustrative colours of the palette readable on white (contrast ≥ 3:1).
BLUE = "#000091"
GREY = "#666666"
LIGHT = "#e5e5f4"
AGREE, DISAGREE, PASS = "#18753c", "#ce0500", "#929292"
GROUP_COLOURS = ("#000091", "#b34000", "#18753c", "#8d533e", "#6e445a", "#3558a2")
FONT = "Marianne, Arial, sans-serif"


@dataclass(frozen=True)
class Table:
    """The figures of a chart (or any table of a report): column headings and rows of cells."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    svg: Markup
    table: Table
    width: int = 640
    height: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def _number(value: float) -> str:
    """French number: thousands separated by a thin space, a comma for decimals."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
    return f"{int(value):,}".replace(",", "\u202f")


def percent(part: float, whole: float) -> str:
    """A share with one decimal, French style: "12,5 %"."""
    value = 100 * part / whole if whole else 0.0
    return f"{value:.1f} %".replace(".", ",")


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: int = 12,
    fill: str = "#161616",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}" font-weight="{weight}">{escape(content)}</text>'
    )


def _svg(chart_id: str, title: str, description: str, width: int, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" class="consult-chart" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _truncate(label: str, length: int) -> str:
    return label if len(label) <= length else label[: length - 1].rstrip() + "…"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    items: Sequence[tuple[str, int]],
    *,
    total: int | None = None,
    label_header: str = "",
    value_header: str = "Contributions",
    share_header: str = "Part",
    width: int = 640,
    label_width: int = 260,
) -> Chart:
    """Horizontal bars, one per (label, count), with the count and its share of `total` written after the bar."""
    total = total if total is not None else sum(value for _, value in items)
    top = max((value for _, value in items), default=0) or 1
    row, pad = 24, 6
    height = max(row * len(items) + 2 * pad, 40)
    bar_area = width - label_width - 110
    body = []
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        length = bar_area * value / top
        body.append(_text(label_width - 8, y + 16, _truncate(label, 38), anchor="end"))
        body.append(f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" fill="{BLUE}"/>')
        body.append(_text(label_width + length + 6, y + 16, f"{_number(value)} ({percent(value, total)})", size=11))
    table = Table(
        title,
        (label_header, value_header, share_header),
        tuple((label, _number(value), percent(value, total)) for label, value in items),
    )
    return Chart(
        chart_id, title, description, _svg(chart_id, title, description, width, height, body), table, width, height
    )


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[tuple[str, int]],
    *,
    label_header: str = "Période",
    value_header: str = "Contributions",
    width: int = 640,
    height: int = 220,
) -> Chart:
    """Vertical bars over time (one per period), with a few period labels under the axis."""
    left, bottom, top_pad = 48, 36, 16
    plot_w, plot_h = width - left - 12, height - bottom - top_pad
    top = max((value for _, value in series), default=0) or 1
    scale = _nice_ceiling(top)
    body = [f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 12}" y2="{top_pad + plot_h}" stroke="{GREY}"/>']
    for tick in (0, scale / 2, scale):
        y = top_pad + plot_h - plot_h * tick / scale
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 12}" y2="{y:.1f}" stroke="{LIGHT}"/>')
        body.append(_text(left - 6, y + 4, _number(tick), anchor="end", size=10, fill=GREY))
    n = max(len(series), 1)
    step = plot_w / n
    every = max(1, math.ceil(n / 8))
    for i, (label, value) in enumerate(series):
        h = plot_h * value / scale
        x = left + i * step
        body.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{top_pad + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{BLUE}"/>'
        )
        if i % every == 0:
            body.append(_text(x + step / 2, height - 12, label, anchor="middle", size=10, fill=GREY))
    table = Table(title, (label_header, value_header), tuple((label, _number(value)) for label, value in series))
    return Chart(
        chart_id, title, description, _svg(chart_id, title, description, width, height, body), table, width, height
    )


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above `value`, so that axis ticks are round numbers."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * power >= value:
            return factor * power
    return 10 * power


def agreement_chart(
    chart_id: str,
    title: str,
    description: str,
    items: Sequence[tuple[str, int, int, int]],
    *,
    label_header: str = "",
    legend: tuple[str, str, str] = ("D'accord", "Pas d'accord", "Sans avis"),
    votes_header: str = "Votes",
    width: int = 640,
    label_width: int = 260,
) -> Chart:
    """One 100 % bar per (label, agree, disagree, pass): how the votes split."""
    row, pad = 24, 6
    height = max(row * len(items) + 2 * pad + 22, 60)
    bar_area = width - label_width - 12
    body = []
    for i, (label, agree, disagree, passes) in enumerate(items):
        y = pad + i * row
        total = agree + disagree + passes
        body.append(_text(label_width - 8, y + 16, _truncate(label, 38), anchor="end"))
        x = float(label_width)
        for value, colour in ((agree, AGREE), (disagree, DISAGREE), (passes, PASS)):
            length = bar_area * value / total if total else 0
            if length:
                body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" fill="{colour}"/>')
                if length > 34:
                    body.append(
                        _text(x + length / 2, y + 16, percent(value, total), anchor="middle", size=10, fill="#ffffff")
                    )
            x += length
    legend_y = pad + len(items) * row + 14
    for n, (name, colour) in enumerate(zip(legend, (AGREE, DISAGREE, PASS), strict=True)):
        x = label_width + n * 120
        body.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(x + 14, legend_y, name, size=10))
    table = Table(
        title,
        (label_header, *legend, votes_header),
        tuple(
            (label, percent(a, a + d + p), percent(d, a + d + p), percent(p, a + d + p), _number(a + d + p))
            for label, a, d, p in items
        ),
    )
    return Chart(
        chart_id, title, description, _svg(chart_id, title, description, width, height, body), table, width, height
    )


def heatmap(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[int]],
    *,
    row_header: str = "",
    width: int = 640,
    label_width: int = 200,
) -> Chart:
    """A matrix of counts (rows × columns), darker for larger counts, each cell with its number."""
    cell_w = (width - label_width - 8) / max(len(columns), 1)
    cell_h, head = 22, 24
    height = head + cell_h * len(rows) + 8
    top = max((v for line in values for v in line), default=0) or 1
    body = []
    for j, column in enumerate(columns):
        body.append(_text(label_width + (j + 0.5) * cell_w, head - 8, column, anchor="middle", size=10, fill=GREY))
    for i, (label, line) in enumerate(zip(rows, values, strict=True)):
        y = head + i * cell_h
        body.append(_text(label_width - 6, y + 15, _truncate(label, 30), anchor="end", size=11))
        for j, value in enumerate(line):
            shade = value / top
            fill = _mix(shade)
            body.append(
                f'<rect x="{label_width + j * cell_w:.1f}" y="{y}" width="{cell_w - 1:.1f}" height="{cell_h - 1}" '
                f'fill="{fill}"/>'
            )
            if value:
                colour = "#ffffff" if shade > 0.5 else "#161616"
                body.append(
                    _text(
                        label_width + (j + 0.5) * cell_w, y + 15, _number(value), anchor="middle", size=9, fill=colour
                    )
                )
    table = Table(
        title,
        (row_header, *columns),
        tuple((label, *map(_number, line)) for label, line in zip(rows, values, strict=True)),
    )
    return Chart(
        chart_id, title, description, _svg(chart_id, title, description, width, height, body), table, width, height
    )


def _mix(shade: float) -> str:
    """From white to blue France as `shade` goes from 0 to 1."""
    start, end = (255, 255, 255), (0, 0, 145)
    r, g, b = (round(s + (e - s) * min(max(shade, 0), 1)) for s, e in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def scatter(
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[tuple[float, float, int]],
    groups: Sequence[tuple[str, int, tuple[float, float]]],
    *,
    headers: tuple[str, str, str] = ("Groupe", "Participants", "Part"),
    width: int = 640,
    height: int = 360,
) -> Chart:
    """The opinion map: one dot per grouped participant, coloured by group, each group's label at its centre."""
    pad = 24
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    span_x, span_y = (x1 - x0) or 1.0, (y1 - y0) or 1.0

    def place(x: float, y: float) -> tuple[float, float]:
        return pad + (x - x0) / span_x * (width - 2 * pad), height - pad - (y - y0) / span_y * (height - 2 * pad)

    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f6f6f6"/>']
    for x, y, group in points:
        px, py = place(x, y)
        colour = GROUP_COLOURS[group % len(GROUP_COLOURS)]
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}" fill-opacity="0.55"/>')
    for number, (label, size, (cx, cy)) in enumerate(groups):
        px, py = place(cx, cy)
        colour = GROUP_COLOURS[number % len(GROUP_COLOURS)]
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="7" fill="#ffffff" stroke="{colour}" stroke-width="3"/>')
        body.append(_text(px + 10, py - 8, f"{label} ({_number(size)})", size=12, fill=colour, weight="bold"))
    total = sum(size for _, size, _ in groups)
    table = Table(
        title,
        ("Groupe", "Participants", "Part"),
        tuple((label, _number(size), percent(size, total)) for label, size, _ in groups),
    )
    return Chart(
        chart_id, title, description, _svg(chart_id, title, description, width, height, body), table, width, height
    )
