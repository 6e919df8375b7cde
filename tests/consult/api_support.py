"""API test helpers: a client that checks every response against the OpenAPI document; factories."""

from __future__ import annotations

import itertools
from datetime import timedelta

from flask import url_for

from consult.models import (
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    LabelSource,
    utcnow,
)
from tests.consult.openapi_check import check_response

_counter = itertools.count(1)


def consensus_score(agree: int, disagree: int, vote_count: int) -> float:
    return (agree + 1) / (agree + disagree + 2) * (1 - 1 / (vote_count + 1))


def divisive_score(agree: int, disagree: int) -> float:
    return min(agree, disagree) / max(agree, disagree, 1) * (agree + disagree)


class ApiClient:
    """GET by endpoint name; every response must be documented and match its schema."""

    def __init__(self, app, client):
        self.app, self.client = app, client
        self.document = client.get("/api/v1/openapi.json").get_json()
        self.checked = 0

    def url(self, endpoint: str, **values) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def get(self, endpoint_or_url: str, _status: int = 200, **values):
        url = endpoint_or_url if "/" in endpoint_or_url else self.url(endpoint_or_url, **values)
        response = self.client.get(url)
        assert response.status_code == _status, (
            response.status_code,
            response.get_data(as_text=True)[:500],
        )
        assert response.mimetype == "application/json"
        check_response(self.document, response.request.path, response.status_code, response.get_json())
        self.checked += 1
        return response.get_json()


def contribution_factory(session, make_user):
    """Return make(consultation, author=None, *, agree=, disagree=, passes=, principles=, ...)."""
    default_author = []

    def make(consultation, author=None, *, agree=0, disagree=0, passes=0, principles=(), **fields):
        if author is None:
            default_author or default_author.append(make_user())
            author = default_author[0]
        n = next(_counter)
        created = fields.pop("created_at", utcnow() - timedelta(minutes=n))
        status = fields.pop("status", ContributionStatus.PUBLISHED)
        votes = agree + disagree + passes
        contribution = Contribution(
            consultation_id=consultation.id,
            author_id=author.id,
            title=fields.pop("title", f"Contribution numéro {n}"),
            body=fields.pop("body", "Un texte de contribution suffisamment long pour être valable."),
            status=status,
            created_at=created,
            published_at=created if status == ContributionStatus.PUBLISHED else None,
            agree_count=agree,
            disagree_count=disagree,
            pass_count=passes,
            vote_count=votes,
            consensus_score=consensus_score(agree, disagree, votes),
            divisive_score=divisive_score(agree, disagree),
            **fields,
        )
        session.add(contribution)
        session.flush()
        for principle_id in principles:
            session.add(
                ContributionPrinciple(
                    contribution_id=contribution.id,
                    principle_id=principle_id,
                    source=LabelSource.AUTHOR,
                )
            )
        session.commit()
        return contribution

    return make
