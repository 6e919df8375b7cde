"""Imports started from the site run as background jobs (consult.jobs): the page follows their progress.

A task holds the uploaded file, the choices made (format, columns), its progress and, at the end, its report. The
check (dry run) and the import are the same task run twice: the import reuses the file that was checked. The
file is erased once imported; `consult purge` erases tasks older than a day.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from consult.errors import Conflict
from consult.i18n import lazy_gettext as _l
from consult.jobs import enqueue, job_session
from consult.models import Consultation, ImportTask, ImportTaskStatus, User, utcnow
from consult.opendata.imports import ImportReport, import_contributions
from consult.opendata.sources import Columns, SourceFiles
from consult.retention import register_purge

log = logging.getLogger(__name__)

KEEP = timedelta(days=1)
# A running task whose progress has not moved for this long lost its worker.
STALE = timedelta(minutes=15)
PROBLEMS_KEPT = 500
# Share of the progress bar covered by each stage of consult.opendata.imports that reports progress. Writing
# ("contributions", "votes") is not reported: the import's transaction then holds SQLite's write lock, and
# another connection updating the task would wait for it.
STAGES = {"read": (0, 5), "screen": (5, 85)}
STALE_ERROR = "Le traitement s'est interrompu (processus arrêté) : relancez la vérification."


def create_task(
    *, session: Session, consultation: Consultation, user: User, name: str, data: bytes, fmt: str, columns: Columns
) -> ImportTask:
    """A queued check of `data` (the caller commits, then calls `start`)."""
    task = ImportTask(
        token=secrets.token_urlsafe(24),
        consultation_id=consultation.id,
        user_id=user.id,
        source_name=name[:255] or "import",
        format=fmt,
        columns=asdict(columns),
        data=data,
    )
    session.add(task)
    session.flush()
    return task


def get_task(*, session: Session, consultation: Consultation, token: str, user: User) -> ImportTask | None:
    """The task behind `token` if `user` started it, for this consultation; else None."""
    task = session.exec(select(ImportTask).where(ImportTask.token == token[:64])).first()
    if task is None or task.consultation_id != consultation.id or task.user_id != user.id:
        return None
    if task.status == ImportTaskStatus.RUNNING and _aware(task.updated_at) < utcnow() - STALE:
        task.status, task.error = ImportTaskStatus.FAILED, STALE_ERROR
        session.add(task)
    return task


def confirm_import(*, session: Session, task: ImportTask) -> None:
    """Turn a successful check into the import of the same file (the caller commits, then calls `start`)."""
    report = task.report or {}
    if not task.dry_run or task.status != ImportTaskStatus.DONE or not report.get("ok") or not task.data:
        raise Conflict(_l("Ce fichier ne peut pas être importé : vérifiez-le d'abord, sans erreur."))
    task.dry_run, task.status, task.stage, task.progress, task.report = False, ImportTaskStatus.QUEUED, "", 0, None
    task.updated_at = utcnow()
    session.add(task)


def start(task: ImportTask) -> None:
    enqueue(run_import_task, task.id)


def run_import_task(task_id: int) -> None:
    """The job: run the check or the import of a task, keep its progress and its report."""
    with job_session() as session:
        claimed = session.execute(
            update(ImportTask)
            .where(ImportTask.id == task_id, ImportTask.status == ImportTaskStatus.QUEUED)
            .values(status=ImportTaskStatus.RUNNING, updated_at=utcnow())
        ).rowcount
        session.commit()
        if not claimed:
            return
        task = session.get(ImportTask, task_id)
        consultation = session.get(Consultation, task.consultation_id)
        user = session.get(User, task.user_id)
        try:
            report = import_contributions(
                session=session,
                consultation=consultation,
                files=SourceFiles.from_bytes(task.source_name, task.data),
                fmt=task.format,
                columns=Columns(**task.columns),
                user=user,
                dry_run=task.dry_run,
                progress=_Progress(task_id),
            )
        except Exception as exc:
            log.exception("import task %s failed", task_id)
            session.rollback()
            _finish(session, task_id, status=ImportTaskStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
            session.commit()
            return
        if task.dry_run or not report.ok:
            session.rollback()  # a check writes nothing
        values = {"status": ImportTaskStatus.DONE, "report": report_dict(report), "progress": 100}
        if report.batch is not None:
            values |= {"batch_id": report.batch.id, "data": b""}  # imported: the file is not needed any more
        _finish(session, task_id, **values)
        session.commit()  # the import and the task's outcome together


def _finish(session: Session, task_id: int, **values) -> None:
    session.execute(update(ImportTask).where(ImportTask.id == task_id).values(updated_at=utcnow(), **values))


class _Progress:
    """Writes the task's stage and percent in a session of its own, at most once a second."""

    def __init__(self, task_id: int):
        self.task_id = task_id
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage not in STAGES or (now - self.last < 1.0 and done < total):
            return
        self.last = now
        start, end = STAGES[stage]
        percent = round(start + (end - start) * (done / total if total else 1))
        if stage == "screen" and done >= total:
            stage = "write"  # what comes next, unreported
        with job_session() as session:
            session.execute(
                update(ImportTask)
                .where(ImportTask.id == self.task_id, ImportTask.status == ImportTaskStatus.RUNNING)
                .values(stage=stage, progress=percent, updated_at=utcnow())
            )
            session.commit()


def report_dict(report: ImportReport) -> dict:
    """What the page shows of a report (JSON): counts, the first problems, notes."""
    return {
        "ok": report.ok,
        "rows": report.rows,
        "votes": report.votes,
        "participants": report.participants,
        "redacted": report.redacted,
        "redacted_kinds": list(report.redacted_kinds),
        "by_status": dict(report.by_status),
        "n_problems": len(report.problems),
        "problems": [str(problem) for problem in report.problems[:PROBLEMS_KEPT]],
        "notes": list(report.notes),
        "batch_id": report.batch.id if report.batch else None,
    }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@register_purge("fichiers d'import vérifiés ou importés (après un jour)")
def purge_import_tasks(*, session: Session, now: datetime, dry_run: bool) -> int:
    old = ImportTask.created_at < now - KEEP
    count = session.exec(select(func.count()).select_from(ImportTask).where(old)).one()
    if not dry_run and count:
        session.execute(delete(ImportTask).where(old))
        session.flush()
    return count
