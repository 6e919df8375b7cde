"""Stored analysis results: a run read back as one tree; automatic labels kept apart from people's labels."""

from __future__ import annotations

import pytest

from consult.analysis.results import latest_run, load_run_results
from consult.contributions.services import principles_by_contribution
from consult.models import (
    AnalysisRun,
    ContributionPrinciple,
    LabelSource,
    RunContribution,
    RunOpinionGroup,
    RunStatus,
    RunTheme,
)


def _run(session, consultation, status=RunStatus.SUCCEEDED, **fields):
    run = AnalysisRun(consultation_id=consultation.id, status=status, **fields)
    session.add(run)
    session.commit()
    return run


def test_load_run_results_builds_themes_ideas_members_duplicates_and_groups(
    session, make_consultation, make_contribution
):
    consultation = make_consultation()
    a, b, c = (make_contribution(consultation=consultation) for _ in range(3))
    run = _run(session, consultation, summary={"principles": {"P08": 2}}, opinions={"points": [[0.1, 0.2, 0]]})
    session.add_all(
        [
            RunTheme(run_id=run.id, key="0", label="données, partage", terms=["donnée"], size=3, position=0),
            RunTheme(run_id=run.id, key="0.1", parent_key="0", label="partage", terms=[], size=2, position=0),
            RunContribution(run_id=run.id, contribution_id=a.id, status="published", theme_key="0", idea_key="0.1"),
            RunContribution(
                run_id=run.id,
                contribution_id=b.id,
                status="published",
                theme_key="0",
                idea_key="0.1",
                duplicate_of_id=a.id,
                principles=[{"id": "P08", "score": 0.9, "words": ["consentement"]}],
            ),
            RunContribution(run_id=run.id, contribution_id=c.id, status="published", theme_key="0"),
            RunOpinionGroup(run_id=run.id, number=0, size=12, center_x=0.5, center_y=-0.2),
        ]
    )
    session.commit()

    results = load_run_results(session=session, run=run)

    [theme] = results.themes
    assert theme.contribution_ids == [a.id, b.id, c.id]
    assert [idea.key for idea in theme.ideas] == ["0.1"]
    assert theme.ideas[0].contribution_ids == [a.id, b.id]
    assert results.duplicate_groups == [[a.id, b.id]]
    assert results.opinion_groups[0].center == (0.5, -0.2)
    assert results.opinions["points"] == [[0.1, 0.2, 0]]
    assert results.contributions[1].principles[0]["words"] == ["consentement"]


def test_latest_run_is_the_newest_succeeded_one(session, make_consultation):
    consultation = make_consultation()
    old = _run(session, consultation)
    _run(session, consultation, status=RunStatus.FAILED, error="boom")
    assert latest_run(session=session, consultation_id=consultation.id).id == old.id
    with pytest.raises(ValueError):
        load_run_results(session=session, run=session.get(AnalysisRun, old.id + 1))


def test_automatic_principles_are_not_shown_as_peoples_labels(session, make_contribution):
    contribution = make_contribution()
    session.add_all(
        [
            ContributionPrinciple(contribution_id=contribution.id, principle_id="P01", source=LabelSource.AUTHOR),
            ContributionPrinciple(
                contribution_id=contribution.id, principle_id="P08", source=LabelSource.NLP, score=0.8, words=["refus"]
            ),
        ]
    )
    session.commit()
    shown = principles_by_contribution(session=session, contribution_ids=[contribution.id])
    assert [p.id for p in shown[contribution.id]] == ["P01"]


def test_one_active_run_per_consultation(session, make_consultation):
    from sqlalchemy.exc import IntegrityError

    consultation = make_consultation()
    _run(session, consultation, status=RunStatus.RUNNING)
    session.add(AnalysisRun(consultation_id=consultation.id, status=RunStatus.QUEUED))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    _run(session, consultation, status=RunStatus.FAILED)  # finished runs are not limited
