"""Background job functions of the analysis (run by consult.jobs on a worker thread or an RQ worker)."""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from threadpoolctl import threadpool_limits

from consult.analysis import runs
from consult.analysis.labels import label_models
from consult.analysis.pipeline import analyse
from consult.jobs import job_session
from consult.models import AnalysisRun

log = logging.getLogger(__name__)


class Heartbeat:
    """Tell the database every few seconds that the run is alive, with its current step and progress."""

    def __init__(self, run_id: int, interval: float, pause: float = 0.0):
        self.app = current_app._get_current_object()  # the thread needs the app to reach the database
        self.run_id = run_id
        self.interval = interval
        self.pause = pause  # seconds slept after each step: shows the progress bar moving in demos and tests
        self.step: str | None = None
        self.percent: int | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"run-{run_id}-heartbeat", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def progress(self, step: str, percent: int | None) -> None:
        self.step = step
        if percent is not None:
            self.percent = percent
            if self.pause:
                time.sleep(self.pause)
        self._wake.set()

    def _beat(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                with self.app.app_context(), job_session() as session:
                    runs.beat(session=session, run_id=self.run_id, step=self.step, progress=self.percent)
                    session.commit()
            except Exception:  # a missed beat is not fatal; a dead process is what we detect
                log.exception("heartbeat of run %s failed", self.run_id)


def run_analysis(run_id: int) -> None:
    """Analyse the run's consultation and store its results in one transaction; record any failure on the run."""
    config = current_app.config
    with job_session() as session:
        claimed = runs.claim_run(session=session, run_id=run_id)
        session.commit()
    if not claimed:
        log.warning("run %s is not queued any more: skipped", run_id)
        return
    started = time.perf_counter()
    try:
        with Heartbeat(run_id, config["ANALYSIS_HEARTBEAT_SECONDS"], config["ANALYSIS_STEP_PAUSE"]) as heartbeat:
            heartbeat.progress("load", None)
            with job_session() as session:
                run = session.get(AnalysisRun, run_id)
                items = runs.load_items(session=session, consultation_id=run.consultation_id)
                votes = list(runs.load_votes(session=session, consultation_id=run.consultation_id))
                snapshot = runs.consultation_snapshot(session=session, consultation_id=run.consultation_id)
                parameters = dict(run.parameters)
                label_models.refresh(session)
                session.rollback()
            heartbeat.progress("load", 5)
            # One BLAS/OpenMP thread, as `python -m nlp analyze` does: a consultation's SVD and NMF are too small
            # for more threads to pay, and on a shared machine they spin (bench/RESULTS.md, issue 11).
            with threadpool_limits(limits=1):
                analysis = analyse(
                    items,
                    votes,
                    models=label_models,
                    taxonomy=label_models.taxonomy,
                    n_themes=parameters.get("n_themes", "auto"),
                    random_state=int(parameters.get("random_state", 0)),
                    progress=heartbeat.progress,
                )
            heartbeat.progress("write", None)
            analysis.summary["snapshot"] = snapshot
            timings = analysis.timings | {"total": round(time.perf_counter() - started, 3)}
            with job_session() as session:
                stored = runs.store_results(
                    session=session,
                    run_id=run_id,
                    items=items,
                    analysis=analysis,
                    n_votes=len(votes),
                    digest=runs.fingerprint(items, votes),
                    versions_used=runs.versions(label_models.model_ids()),
                    model_version=f"run:{run_id} {label_models.version}",
                    timings=timings,
                    vote_counts=runs.count_votes(votes),
                )
                if stored:
                    session.commit()
                else:
                    session.rollback()
                    log.warning("run %s was marked failed while it worked: results dropped", run_id)
    except Exception as exc:
        log.exception("analysis run %s failed", run_id)
        with job_session() as session:
            runs.fail_run(session=session, run_id=run_id, error=f"{type(exc).__name__}: {exc}")
            session.commit()


def retrain_label_models(user_id: int | None) -> None:
    """Train the principle and theme models on people's labels, then refresh the labels of pending items."""
    from consult.analysis.learning import relabel_pending, train_models

    try:
        with job_session() as session:
            train_models(session=session, user_id=user_id)
            session.commit()
        with job_session() as session:
            count = relabel_pending(session=session)
            session.commit()
        log.info("label models retrained; %d pending contributions relabelled", count)
    except Exception:
        log.exception("retraining the label models failed")
        raise
