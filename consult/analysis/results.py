"""A stored analysis run read back as plain dataclasses: what a report needs, without recomputing anything.

`load_run_results(session=…, run=…)` gathers the run's rows (AnalysisRun, RunTheme, RunContribution,
RunOpinionGroup) into one `RunResults` tree; `latest_run(session=…, consultation_id=…)` is the run that reports
and the API show by default: the newest that succeeded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session, select

from consult.models import (
    AnalysisRun,
    AutomaticLabel,
    Contribution,
    ContributionPrinciple,
    LabelSource,
    Principle,
    RunContribution,
    RunOpinionGroup,
    RunStatus,
    RunTheme,
    Theme,
)
from consult.visibility import published_contributions


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


@dataclass
class AutomaticPrinciple:
    principle: Principle
    score: float
    words: list[str]


@dataclass
class AutomaticLabels:
    """The machine's current reading of one contribution, for display beside (never instead of) people's labels."""

    theme: Theme | None
    theme_score: float | None
    theme_words: list[str]
    principles: list[AutomaticPrinciple]  # best first
    confidence: float | None
    duplicate_candidates: list[dict]
    personal_data: list[dict]
    run_id: int | None
    model_version: str
    labelled_at: datetime


def automatic_labels(*, session: Session, contribution_ids: list[int]) -> dict[int, AutomaticLabels]:
    """The automatic labels of each contribution that has some, in two queries."""
    if not contribution_ids:
        return {}
    rows = session.exec(
        select(AutomaticLabel, Theme)
        .outerjoin(Theme, Theme.id == AutomaticLabel.theme_id)
        .where(AutomaticLabel.contribution_id.in_(contribution_ids))
    ).all()
    principles: dict[int, list[AutomaticPrinciple]] = defaultdict(list)
    for contribution_id, score, words, principle in session.exec(
        select(
            ContributionPrinciple.contribution_id, ContributionPrinciple.score, ContributionPrinciple.words, Principle
        )
        .join(Principle, Principle.id == ContributionPrinciple.principle_id)
        .where(
            ContributionPrinciple.contribution_id.in_(contribution_ids),
            ContributionPrinciple.source == LabelSource.NLP,
        )
        .order_by(ContributionPrinciple.contribution_id, ContributionPrinciple.score.desc(), Principle.number)
    ):
        principles[contribution_id].append(AutomaticPrinciple(principle, score or 0.0, list(words or [])))
    return {
        label.contribution_id: AutomaticLabels(
            theme=theme,
            theme_score=label.theme_score,
            theme_words=list(label.theme_words),
            principles=principles.get(label.contribution_id, []),
            confidence=label.confidence,
            duplicate_candidates=list(label.duplicate_candidates),
            personal_data=list(label.personal_data),
            run_id=label.run_id,
            model_version=label.model_version,
            labelled_at=label.labelled_at,
        )
        for label, theme in rows
    }


def published_only(*, session: Session, results: RunResults) -> RunResults:
    """The run's results restricted to contributions published now, for public pages, the API and reports.

    A contribution published when the run read it may have been hidden, rejected or withdrawn since: its text must
    not come back through a verbatim, a representative statement or a member list; and a verbatim shows the text
    as published now (a moderator may have masked personal data in it since).
    """
    # Verbatims, representative and consensus statements all come from the run's own contributions.
    visible = set(
        session.exec(
            select(RunContribution.contribution_id)
            .join(Contribution, Contribution.id == RunContribution.contribution_id)
            .where(RunContribution.run_id == results.run.id, published_contributions())
        )
    )

    def keep(items: list[dict]) -> list[dict]:
        return [item for item in items if item["contribution_id"] in visible]

    # A moderator may have redacted a verbatim since the run: show the text as it is published now.
    quoted = {v["contribution_id"] for t in _all_themes(results.themes) for v in t.verbatims} & visible
    current = {
        cid: f"{title}\n{body}"
        for cid, title, body in session.exec(
            select(Contribution.id, Contribution.title, Contribution.body).where(Contribution.id.in_(quoted))
        )
    }

    def verbatims(items: list[dict]) -> list[dict]:
        return [item | {"text": current[item["contribution_id"]]} for item in keep(items)]

    def themes(found: list[ThemeResult]) -> list[ThemeResult]:
        return [
            replace(
                theme,
                verbatims=verbatims(theme.verbatims),
                contribution_ids=[cid for cid in theme.contribution_ids if cid in visible],
                ideas=themes(theme.ideas),
            )
            for theme in found
        ]

    opinions = dict(results.opinions)
    for key in ("consensus", "divisive"):
        if key in opinions:
            opinions[key] = keep(opinions[key])
    return replace(
        results,
        themes=themes(results.themes),
        contributions=[row for row in results.contributions if row.contribution_id in visible],
        duplicate_groups=[[cid for cid in group if cid in visible] for group in results.duplicate_groups],
        opinion_groups=[replace(group, representative=keep(group.representative)) for group in results.opinion_groups],
        opinions=opinions,
    )


def _all_themes(themes: list[ThemeResult]):
    for theme in themes:
        yield theme
        yield from _all_themes(theme.ideas)
