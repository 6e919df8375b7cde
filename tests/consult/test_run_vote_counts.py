"""A run keeps what a report needs to give the same figures later: votes per contribution, consultation counts."""

from __future__ import annotations

from sqlmodel import select

from consult.analysis import runs
from consult.analysis.pipeline import Analysis, ItemResult
from consult.models import AnalysisRun, Channel, ContributionStatus, RunContribution, RunStatus
from tests.consult.contribution_factories import add_contribution, add_vote


def test_store_results_keeps_each_contributions_votes_and_the_snapshot(session, make_consultation, make_user):
    consultation = make_consultation()
    author, a, b, c = (make_user() for _ in range(4))
    first = add_contribution(session, consultation, author)
    second = add_contribution(session, consultation, author, channel=Channel.IMPORT)
    add_contribution(session, consultation, author, status=ContributionStatus.REJECTED)
    for user, contribution, value in [(a, first, 1), (b, first, -1), (c, first, 1), (a, second, 0)]:
        add_vote(session, contribution, user, value)
    run = AnalysisRun(consultation_id=consultation.id, status=RunStatus.RUNNING)
    session.add(run)
    session.commit()

    items = runs.load_items(session=session, consultation_id=consultation.id)
    votes = list(runs.load_votes(session=session, consultation_id=consultation.id))
    snapshot = runs.consultation_snapshot(session=session, consultation_id=consultation.id)
    assert snapshot == {"statuses": {"published": 2, "rejected": 1}, "channels": {"import": 1, "web": 1}, "people": 4}
    analysis = Analysis({item.id: ItemResult() for item in items}, [], [], {}, {"snapshot": snapshot}, {}, 3)
    stored = runs.store_results(
        session=session, run_id=run.id, items=items, analysis=analysis, n_votes=len(votes), digest="x",
        versions_used={}, model_version="test", timings={}, vote_counts=runs.count_votes(votes),
    )  # fmt: skip
    session.commit()
    assert stored
    rows = {r.contribution_id: r for r in session.exec(select(RunContribution).where(RunContribution.run_id == run.id))}
    assert (rows[first.id].agree_count, rows[first.id].disagree_count, rows[first.id].pass_count) == (2, 1, 0)
    assert (rows[second.id].agree_count, rows[second.id].pass_count) == (0, 1)
    session.refresh(run)
    assert run.summary["snapshot"]["people"] == 4
