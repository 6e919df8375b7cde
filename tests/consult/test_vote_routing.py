"""The vote routing (consult.analysis.routing): Pol.is priority with the opinion groups' extremity."""

from __future__ import annotations

from consult.analysis.routing import next_for_vote
from consult.models import AnalysisRun, RunStatus
from tests.consult.contribution_factories import add_contribution


def _two_alike(session, make_consultation, make_user):
    consultation = make_consultation()
    author = make_user()
    first = add_contribution(session, consultation, author, title="Première idée", body="Un texte assez long ici.")
    second = add_contribution(session, consultation, author, title="Deuxième idée", body="Un autre texte assez long.")
    return consultation, first, second


def _picks(session, consultation, contribution_id, runs=60):
    return sum(
        next_for_vote(session=session, consultation_id=consultation.id, user_id=None, seen=[], seed=seed)
        == contribution_id
        for seed in range(runs)
    )


def test_without_analysis_alike_contributions_are_drawn_evenly(session, make_consultation, make_user):
    consultation, first, _ = _two_alike(session, make_consultation, make_user)
    assert 15 <= _picks(session, consultation, first.id) <= 45


def test_the_divisive_contribution_of_the_latest_run_is_offered_first(session, make_consultation, make_user):
    consultation, first, second = _two_alike(session, make_consultation, make_user)
    old = AnalysisRun(
        consultation_id=consultation.id, status=RunStatus.SUCCEEDED, opinions={"extremity": {str(first.id): 9.0}}
    )
    failed = AnalysisRun(  # a failed run's figures are never used
        consultation_id=consultation.id, status=RunStatus.FAILED, opinions={"extremity": {str(first.id): 9.0}}
    )
    session.add_all([old, failed])
    session.commit()
    assert _picks(session, consultation, first.id) >= 55
    newest = AnalysisRun(
        consultation_id=consultation.id, status=RunStatus.SUCCEEDED, opinions={"extremity": {str(second.id): 9.0}}
    )
    session.add(newest)
    session.commit()
    assert _picks(session, consultation, second.id) >= 55
