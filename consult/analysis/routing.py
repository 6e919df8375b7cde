"""Which contribution to offer next for a vote: the Pol.is routing priority (nlp.opinions) on live counts."""

from __future__ import annotations

import random

from sqlmodel import Session, select

from consult.analysis.results import latest_run
from consult.models import Contribution, Vote
from consult.visibility import published_contributions
from nlp.opinions import polis_priority


def next_for_vote(
    *, session: Session, consultation_id: int, user_id: int | None, seen: list[int], seed: int
) -> int | None:
    """Draw an unseen published contribution with probability proportional to its Pol.is priority.

    New contributions (few votes), those voted on rather than passed, and those that set the opinion groups
    apart (their extremity in the latest successful analysis run; 0 when none, or for newer contributions)
    are boosted; a signed-in user's already-voted ones are skipped.
    """
    statement = select(
        Contribution.id, Contribution.agree_count, Contribution.disagree_count, Contribution.pass_count
    ).where(Contribution.consultation_id == consultation_id, published_contributions())
    if seen:
        statement = statement.where(Contribution.id.not_in(seen))
    if user_id is not None:
        voted = select(Vote.contribution_id).where(Vote.user_id == user_id)
        statement = statement.where(Contribution.id.not_in(voted))
    rows = session.exec(statement.order_by(Contribution.id)).all()
    if not rows:
        return None
    ids, agree, disagree, passed = zip(*rows, strict=True)
    run = latest_run(session=session, consultation_id=consultation_id)
    known = (run.opinions or {}).get("extremity") or {} if run is not None else {}
    extremity = [float(known.get(str(contribution_id), 0.0)) for contribution_id in ids]
    weights = polis_priority(agree, disagree, passed, extremity).tolist()
    return random.Random(seed).choices(ids, weights=weights, k=1)[0]
