"""A stored analysis run read back as plain dataclasses: what a report needs, without recomputing anything.

`load_run_results(session=…, run=…)` gathers the run's rows (AnalysisRun, RunTheme, RunContribution,
RunOpinionGroup) into one `RunResults` tree; `latest_run(session=…, consultation_id=…)` is the run that reports
and the API show by default: the newest that succeeded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from consult.models import AnalysisRun, RunContribution, RunOpinionGroup, RunStatus, RunTheme


@dataclass
class ThemeResult:
    key: str  # "3"; ideas: "3.1"
    label: str
    terms: list[str]
    size: int
    reference_theme_id: str | None
    reference_score: float | None
    summary: list[str]
    verbatims: list[dict]  # {"contribution_id", "text", "score"}
    contribution_ids: list[int] = field(default_factory=list)
    ideas: list[ThemeResult] = field(default_factory=list)


@dataclass
class OpinionGroupResult:
    number: int
    size: int
    center: tuple[float, float]
    representative: list[dict]


@dataclass
class RunResults:
    run: AnalysisRun
    themes: list[ThemeResult]
    contributions: list[RunContribution]  # every analysed contribution, by id
    duplicate_groups: list[list[int]]  # kept contribution first
    opinion_groups: list[OpinionGroupResult]
    # Overall opinion results: {"silhouette", "points": [[x, y, group]], "consensus": [...], "divisive": [...]}
    opinions: dict
    summary: dict


def latest_run(*, session: Session, consultation_id: int) -> AnalysisRun | None:
    """The newest successful run of a consultation, or None."""
    return session.exec(
        select(AnalysisRun)
        .where(AnalysisRun.consultation_id == consultation_id, AnalysisRun.status == RunStatus.SUCCEEDED)
        .order_by(AnalysisRun.id.desc())
        .limit(1)
    ).first()


def load_run_results(*, session: Session, run: AnalysisRun) -> RunResults:
    """Every stored result of a successful run, as one tree of plain values."""
    if run.status != RunStatus.SUCCEEDED:
        raise ValueError(f"run {run.id} has no results (status {run.status})")
    contributions = list(
        session.exec(
            select(RunContribution).where(RunContribution.run_id == run.id).order_by(RunContribution.contribution_id)
        )
    )
    members: dict[str, list[int]] = defaultdict(list)
    duplicates: dict[int, list[int]] = defaultdict(list)
    for row in contributions:
        if row.theme_key is not None:
            members[row.theme_key].append(row.contribution_id)
        if row.idea_key is not None:
            members[row.idea_key].append(row.contribution_id)
        if row.duplicate_of_id is not None:
            duplicates[row.duplicate_of_id].append(row.contribution_id)
    themes: dict[str, ThemeResult] = {}
    ideas: list[tuple[str, ThemeResult]] = []
    rows = session.exec(select(RunTheme).where(RunTheme.run_id == run.id).order_by(RunTheme.position, RunTheme.key))
    for row in rows:
        result = ThemeResult(
            key=row.key,
            label=row.label,
            terms=list(row.terms),
            size=row.size,
            reference_theme_id=row.reference_theme_id,
            reference_score=row.reference_score,
            summary=list(row.summary),
            verbatims=list(row.verbatims),
            contribution_ids=members.get(row.key, []),
        )
        if row.parent_key is None:
            themes[row.key] = result
        else:
            ideas.append((row.parent_key, result))
    for parent, idea in ideas:
        if parent in themes:
            themes[parent].ideas.append(idea)
    groups = session.exec(
        select(RunOpinionGroup).where(RunOpinionGroup.run_id == run.id).order_by(RunOpinionGroup.number)
    )
    return RunResults(
        run=run,
        themes=list(themes.values()),
        contributions=contributions,
        duplicate_groups=[[kept, *sorted(others)] for kept, others in sorted(duplicates.items())],
        opinion_groups=[
            OpinionGroupResult(g.number, g.size, (g.center_x, g.center_y), list(g.representative)) for g in groups
        ],
        opinions=dict(run.opinions),
        summary=dict(run.summary),
    )
