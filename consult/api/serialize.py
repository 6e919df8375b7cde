"""JSON shapes of the API (see openapi.py); authors appear only by pseudonym, never by e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for

from consult.analysis.results import AutomaticLabels, RunResults, ThemeResult
from consult.api.services import ConsultationCounts, ContributionRow
from consult.models import (
    Consultation,
    ConsultationPhase,
    Contribution,
    Dimension,
    Principle,
    Theme,
)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    # SQLite returns naive datetimes; every stored datetime is UTC.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def consultation_summary(consultation: Consultation) -> dict:
    return {
        "slug": consultation.slug,
        "title": consultation.title,
        "summary": consultation.summary,
        "question": consultation.question,
        "status": consultation.status(),
        "opens_at": iso(consultation.opens_at),
        "closes_at": iso(consultation.closes_at),
        "moderation": consultation.moderation,
        "links": {
            "self": url_for("api.consultation", slug=consultation.slug, _external=True),
            "contributions": url_for("api.contributions", slug=consultation.slug, _external=True),
        },
    }


def consultation_detail(
    consultation: Consultation, counts: ConsultationCounts, phases: list[ConsultationPhase]
) -> dict:
    return consultation_summary(consultation) | {
        "description": consultation.description,
        "phases": [
            {
                "title": p.title,
                "description": p.description,
                "starts_at": iso(p.starts_at),
                "ends_at": iso(p.ends_at),
            }
            for p in phases
        ],
        "counts": {
            "contributions": counts.contributions,
            "votes": counts.votes,
            "comments": counts.comments,
            "participants": counts.participants,
        },
    }


def vote_counts(contribution: Contribution) -> dict:
    return {
        "contribution_id": contribution.id,
        "votes": {
            "agree": contribution.agree_count,
            "disagree": contribution.disagree_count,
            "pass": contribution.pass_count,
            "total": contribution.vote_count,
        },
        "scores": {
            "consensus": contribution.consensus_score,
            "divisive": contribution.divisive_score,
        },
    }


def contribution(row: ContributionRow) -> dict:
    c = row.contribution
    return {
        "id": c.id,
        "consultation": row.consultation_slug,
        "title": c.title,
        "body": c.body,
        "author": {"pseudonym": row.author_pseudonym},
        "theme": {"id": row.theme.id, "label": row.theme.label_fr} if row.theme else None,
        "principles": [{"id": p.id, "label": p.label_fr, "source": source} for p, source in row.principles],
        "automatic": automatic(row.automatic),
        "channel": c.channel,
        "created_at": iso(c.created_at),
        "published_at": iso(c.published_at),
        "comment_count": c.comment_count,
        "links": {
            "self": url_for("api.contribution", contribution_id=c.id, _external=True),
            "votes": url_for("api.contribution_votes", contribution_id=c.id, _external=True),
        },
    } | {key: value for key, value in vote_counts(c).items() if key != "contribution_id"}


def taxonomy(dimensions: list[Dimension], principles: list[Principle], themes: list[Theme]) -> dict:
    return {
        "dimensions": [{"id": d.id, "key": d.key, "label_fr": d.label_fr, "label_en": d.label_en} for d in dimensions],
        "principles": [
            {
                "id": p.id,
                "dimension_id": p.dimension_id,
                "number": p.number,
                "label_fr": p.label_fr,
                "label_en": p.label_en,
                "verified_fr": p.verified_fr,
            }
            for p in principles
        ],
        "themes": [
            {
                "id": t.id,
                "key": t.key,
                "label_fr": t.label_fr,
                "label_en": t.label_en,
                "description_fr": t.description_fr,
                "position": t.position,
            }
            for t in themes
        ],
    }


def automatic(labels: AutomaticLabels | None) -> dict | None:
    """The machine's reading of a contribution: every label with how sure it is and the words behind it."""
    if labels is None:
        return None
    return {
        "theme": (
            {
                "id": labels.theme.id,
                "label": labels.theme.label_fr,
                "score": labels.theme_score,
                "words": labels.theme_words,
            }
            if labels.theme
            else None
        ),
        "principles": [
            {"id": p.principle.id, "label": p.principle.label_fr, "score": p.score, "words": p.words}
            for p in labels.principles
        ],
        "labelled_at": iso(labels.labelled_at),
        "model_version": labels.model_version,
        "run_id": labels.run_id,
    }


def analysis(results: RunResults) -> dict:
    """A consultation's latest analysis run: themes with ideas and verbatims, opinion groups, what produced them."""
    run = results.run

    def theme(t: ThemeResult) -> dict:
        return {
            "key": t.key,
            "label": t.label,
            "terms": t.terms,
            "size": t.size,
            "reference_theme": t.reference_theme_id,
            "reference_score": t.reference_score,
            "summary": t.summary,
            "verbatims": [{"contribution_id": v["contribution_id"], "text": v["text"]} for v in t.verbatims],
            "ideas": [theme(i) for i in t.ideas],
        }

    return {
        "automatic": True,
        "run": {
            "id": run.id,
            "finished_at": iso(run.finished_at),
            "parameters": run.parameters,
            "versions": {k: v for k, v in run.versions.items() if isinstance(v, str)},
            "fingerprint": run.fingerprint,
            "contributions": run.n_contributions,
            "votes": run.n_votes,
            "participants": run.n_participants,
        },
        "themes": [theme(t) for t in results.themes],
        "opinion_groups": [
            {
                "number": g.number,
                "size": g.size,
                "center": list(g.center),
                "representative": [
                    {
                        "contribution_id": s["contribution_id"],
                        "direction": s["direction"],
                        "agree_ratio": s["agree_ratio"],
                    }
                    for s in g.representative
                ],
            }
            for g in results.opinion_groups
        ],
        "consensus": [
            {"contribution_id": s["contribution_id"], "direction": s["direction"]}
            for s in results.opinions.get("consensus", [])
        ],
        "divisive": [{"contribution_id": s["contribution_id"]} for s in results.opinions.get("divisive", [])],
        "map": [{"x": x, "y": y, "group": g} for x, y, g in results.opinions.get("points", [])],
    }
