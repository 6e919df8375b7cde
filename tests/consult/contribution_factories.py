"""Test helpers for contributions (imported by the contribution, list and consultation tests)."""

from __future__ import annotations

import itertools

from consult.models import (
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    LabelSource,
    Vote,
    utcnow,
)

_counter = itertools.count(1)


def add_contribution(session, consultation, author, *, principles=(), commit=True, **fields) -> Contribution:
    n = next(_counter)
    now = utcnow()
    contribution = Contribution(
        consultation_id=consultation.id,
        author_id=author.id,
        title=fields.pop("title", f"Proposition numéro {n}"),
        body=fields.pop("body", f"Le texte détaillé de la proposition numéro {n}, assez long."),
        status=fields.pop("status", ContributionStatus.PUBLISHED),
        created_at=fields.pop("created_at", now),
        updated_at=now,
        **fields,
    )
    session.add(contribution)
    session.flush()
    for principle_id in principles:
        session.add(
            ContributionPrinciple(contribution_id=contribution.id, principle_id=principle_id, source=LabelSource.AUTHOR)
        )
    if commit:
        session.commit()
    return contribution


def add_vote(session, contribution, user, value: int) -> Vote:
    vote = Vote(contribution_id=contribution.id, user_id=user.id, value=value)
    session.add(vote)
    session.commit()
    return vote
