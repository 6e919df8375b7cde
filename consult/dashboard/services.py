"""The analyst dashboard of a consultation: the latest run's synthesis, cut by the filters the analyst chooses.

Themes, ideas, principles and opinion groups come from the synthesis of the latest successful run
(consult.reports.synthesis); contribution dates, channels and current statuses from the contributions. Filters
(theme, principle, period, status) select contributions; every figure and chart is computed on that selection.
The opinion map stays whole: groups are made from all the votes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from consult.analysis.results import latest_run
from consult.models import AnalysisRun, Consultation, Contribution, ContributionStatus, RunContribution
from consult.reports.charts import Chart, agreement_chart, bar_chart, column_chart, heatmap, scatter
from consult.reports.synthesis import Statement, Synthesis, Tally, build_synthesis

STATUSES = (
    ContributionStatus.PUBLISHED,
    ContributionStatus.PENDING,
    ContributionStatus.HIDDEN,
    ContributionStatus.REJECTED,
    ContributionStatus.DUPLICATE,
    ContributionStatus.WITHDRAWN,
)


@dataclass(frozen=True)
class Filters:
    theme: str | None = None  # key of a theme of the run
    principle: str | None = None
    start: date | None = None
    end: date | None = None
    status: str = ContributionStatus.PUBLISHED

    @property
    def active(self) -> bool:
        return bool(self.theme or self.principle or self.start or self.end or self.status != "published")

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (for links that keep them)."""
        values = {
            "theme": self.theme,
            "principle": self.principle,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "status": None if self.status == ContributionStatus.PUBLISHED else self.status,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Row:
    contribution_id: int
    day: date | None
    channel: str
    status: str
    theme: str | None
    idea: str | None
    principles: tuple[str, ...]
    votes: Tally


@dataclass
class ThemeLine:
    key: str
    title: str
    short_title: str
    count: int
    share: float
    votes: Tally
    ideas: list[tuple[str, int, float]] = field(default_factory=list)  # (name, count, share of the theme)


@dataclass
class Dashboard:
    consultation: Consultation
    run: AnalysisRun | None
    filters: Filters
    synthesis: Synthesis | None = None
    theme_choices: list[tuple[str, str]] = field(default_factory=list)
    principle_choices: list[tuple[str, str]] = field(default_factory=list)
    count: int = 0
    votes: Tally = field(default_factory=Tally)
    authors: int = 0
    themes: list[ThemeLine] = field(default_factory=list)
    charts: dict[str, Chart] = field(default_factory=dict)
    consensus: list[Statement] = field(default_factory=list)
    divisive: list[Statement] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def parse_filters(args) -> tuple[Filters, dict[str, str]]:
    """Read the filters from query parameters; unknown values are dropped with a message (French, lazy)."""
    from consult.i18n import lazy_gettext as _l

    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name in ("start", "end"):
        raw = (args.get(name) or "").strip()
        dates[name] = None
        if raw:
            try:
                dates[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = str(_l("Date illisible : utilisez le format AAAA-MM-JJ."))
    if dates["start"] and dates["end"] and dates["start"] > dates["end"]:
        errors["end"] = str(_l("La fin de la période précède son début."))
        dates["end"] = None
    status = args.get("status") or ContributionStatus.PUBLISHED
    if status not in STATUSES:
        errors["status"] = str(_l("État inconnu."))
        status = ContributionStatus.PUBLISHED
    return (
        Filters(
            theme=(args.get("theme") or "").strip()[:12] or None,
            principle=(args.get("principle") or "").strip()[:4] or None,
            start=dates["start"],
            end=dates["end"],
            status=status,
        ),
        errors,
    )


def _day(value: datetime | None) -> date | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()


def _rows(session: Session, run: AnalysisRun) -> list[Row]:
    """Every contribution the run read, with its current status, date and channel, and what the run found."""
    statement = (
        select(
            RunContribution.contribution_id,
            RunContribution.theme_key,
            RunContribution.idea_key,
            RunContribution.principles,
            RunContribution.agree_count,
            RunContribution.disagree_count,
            RunContribution.pass_count,
            Contribution.created_at,
            Contribution.channel,
            Contribution.status,
            Contribution.agree_count,
            Contribution.disagree_count,
            Contribution.pass_count,
        )
        .join(Contribution, Contribution.id == RunContribution.contribution_id)
        .where(RunContribution.run_id == run.id)
        .order_by(RunContribution.contribution_id)
    )
    rows = []
    for cid, theme, idea, principles, ra, rd, rp, created, channel, status, ca, cd, cp in session.exec(statement):
        votes = Tally(ra, rd or 0, rp or 0) if ra is not None else Tally(ca, cd, cp)
        rows.append(
            Row(cid, _day(created), channel, status, theme, idea, tuple(sorted(p["id"] for p in principles)), votes)
        )
    return rows


def _keep(row: Row, f: Filters) -> bool:
    return (
        row.status == f.status
        and (f.theme is None or row.theme == f.theme)
        and (f.principle is None or f.principle in row.principles)
        and (f.start is None or (row.day is not None and row.day >= f.start))
        and (f.end is None or (row.day is not None and row.day <= f.end))
    )


def _sum(rows: list[Row]) -> Tally:
    return Tally(
        sum(r.votes.agree for r in rows), sum(r.votes.disagree for r in rows), sum(r.votes.passes for r in rows)
    )


def build_dashboard(*, session: Session, consultation: Consultation, filters: Filters, labels: dict) -> Dashboard:
    """The dashboard for `filters`; `labels` holds the translated chart texts (the page may be in English)."""
    run = latest_run(session=session, consultation_id=consultation.id)
    board = Dashboard(consultation, run, filters)
    if run is None:
        return board
    synthesis = build_synthesis(session=session, run=run)
    board.synthesis = synthesis
    titles = {t.key: t.title for t in synthesis.themes}
    shorts = {t.key: t.short_title for t in synthesis.themes}
    idea_names = {i.key: i.name for t in synthesis.themes for i in t.ideas}
    board.theme_choices = list(titles.items())
    board.principle_choices = [(p.key, p.label) for p in sorted(synthesis.principles, key=lambda p: p.key)]
    short_principles = {p.key: p.chart_label for p in synthesis.principles}
    rows = [row for row in _rows(session, run) if _keep(row, filters)]
    ids = {row.contribution_id for row in rows}
    board.count = len(rows)
    board.votes = _sum(rows)
    board.authors = (
        len(set(session.exec(select(Contribution.author_id).where(Contribution.id.in_(ids)))))
        if len(ids) <= 30_000
        else 0
    )
    by_theme: dict[str, list[Row]] = {}
    for row in rows:
        if row.theme is not None:
            by_theme.setdefault(row.theme, []).append(row)
    for key, title in titles.items():
        members = by_theme.get(key, [])
        if not members:
            continue
        ideas = Counter(row.idea for row in members if row.idea)
        board.themes.append(
            ThemeLine(
                key,
                title,
                shorts[key],
                len(members),
                len(members) / len(rows) if rows else 0.0,
                _sum(members),
                [(idea_names.get(k, k), n, n / len(members)) for k, n in ideas.most_common()],
            )
        )
    board.themes.sort(key=lambda t: (-t.count, t.key))
    board.charts = _charts(board, rows, synthesis, labels, short_principles)
    if synthesis.opinions:
        board.consensus = [s for s in synthesis.opinions.consensus if s.contribution_id in ids]
        board.divisive = [s for s in synthesis.opinions.divisive if s.contribution_id in ids]
    return board


def _charts(
    board: Dashboard, rows: list[Row], synthesis: Synthesis, labels: dict, short_principles: dict[str, str]
) -> dict[str, Chart]:
    charts: dict[str, Chart] = {}
    days = Counter(row.day for row in rows if row.day)
    if days:
        first, last = min(days), max(days)
        series = [
            (date.fromordinal(n).strftime("%d/%m"), days.get(date.fromordinal(n), 0))
            for n in range(first.toordinal(), last.toordinal() + 1)
        ]
        charts["participation"] = column_chart(
            "dash-participation",
            labels["participation"],
            labels["participation_desc"],
            series,
            label_header=labels["day"],
            value_header=labels["contributions"],
        )
    channels = Counter(row.channel for row in rows)
    if channels:
        charts["channels"] = bar_chart(
            "dash-channels",
            labels["channels"],
            labels["channels_desc"],
            [(labels["channel_names"].get(k, k), n) for k, n in channels.most_common()],
            label_header=labels["channel"],
            value_header=labels["contributions"],
            share_header=labels["share"],
        )
    if board.themes:
        charts["themes"] = bar_chart(
            "dash-themes",
            labels["themes"],
            labels["themes_desc"],
            [(t.short_title, t.count) for t in board.themes],
            total=len(rows),
            label_header=labels["theme"],
            value_header=labels["contributions"],
            share_header=labels["share"],
        )
        voted = [
            (t.short_title, t.votes.agree, t.votes.disagree, t.votes.passes) for t in board.themes if t.votes.total
        ]
        if voted:
            charts["agreement"] = agreement_chart(
                "dash-agreement",
                labels["agreement"],
                labels["agreement_desc"],
                voted,
                label_header=labels["theme"],
                legend=labels["legend"],
            )
    principles = Counter(p for row in rows for p in row.principles)
    names = short_principles
    if principles:
        charts["principles"] = bar_chart(
            "dash-principles",
            labels["principles"],
            labels["principles_desc"],
            [(names.get(p, p), n) for p, n in sorted(principles.items(), key=lambda item: (-item[1], item[0]))],
            total=len(rows),
            label_header=labels["principle"],
            value_header=labels["contributions"],
            share_header=labels["share"],
            label_width=300,
        )
        columns = sorted(principles)
        matrix = [
            [sum(1 for row in rows if row.theme == t.key and p in row.principles) for p in columns]
            for t in board.themes
        ]
        if board.themes:
            charts["matrix"] = heatmap(
                "dash-matrix",
                labels["matrix"],
                labels["matrix_desc"],
                [t.title for t in board.themes],
                columns,
                matrix,
                row_header=labels["theme"],
            )
    if synthesis.opinions and synthesis.opinions.points:
        charts["opinions"] = scatter(
            "dash-opinions",
            labels["opinions"],
            labels["opinions_desc"],
            synthesis.opinions.points,
            [(g.name, g.size, g.center) for g in synthesis.opinions.groups],
            headers=labels["group_headers"],
        )
    return charts
