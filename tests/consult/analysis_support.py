"""A small consultation to analyse (fictitious demo texts), and helpers to follow runs."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from consult.demo import load_demo_content
from consult.models import AnalysisRun, ContributionStatus, Role, RunStatus
from tests.consult.contribution_factories import add_contribution, add_vote


@dataclass
class Corpus:
    consultation: object
    published: list
    pending: list
    voters: list


@pytest.fixture
def corpus(session, make_consultation, make_user) -> Corpus:
    """36 published and 3 pending contributions from the demo texts (with their authors' labels), 8 voters."""
    consultation = make_consultation()
    author = make_user()
    texts = load_demo_content()["contributions"]
    published, pending = [], []
    for i, item in enumerate(texts[:39]):
        status = ContributionStatus.PENDING if i % 13 == 12 else ContributionStatus.PUBLISHED
        contribution = add_contribution(
            session,
            consultation,
            author,
            title=item["title"][:140],
            body=item["body"].strip(),
            theme_id=item.get("theme"),
            principles=item.get("principles", []),
            status=status,
            commit=False,
        )
        (pending if status == ContributionStatus.PENDING else published).append(contribution)
    session.commit()
    voters = [make_user() for _ in range(8)]
    for v, voter in enumerate(voters):
        for j, contribution in enumerate(published[:20]):
            # Two camps that disagree on every other contribution, so opinion groups exist.
            add_vote(session, contribution, voter, 1 if (v % 2 == j % 2) else -1)
    return Corpus(consultation, published, pending, voters)


def wait_for_run(session, run_id: int, *, statuses=(RunStatus.SUCCEEDED, RunStatus.FAILED), timeout: float = 240):
    """Poll the database until the run reaches one of `statuses`; return it."""
    deadline = time.monotonic() + timeout
    while True:
        session.expire_all()
        run = session.get(AnalysisRun, run_id)
        if run is not None and run.status in statuses:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run.status if run else 'missing'} after {timeout} s")
        time.sleep(0.2)


STAFF_ROLES = (Role.MODERATOR, Role.ANALYST, Role.ADMIN)
