"""`consult analyse` and `consult worker`: analysis runs and background workers from the command line."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext


def _session():
    from consult.db import get_session

    return get_session()


def _mark_stale(session) -> None:
    from consult.analysis.runs import mark_stale_runs

    mark_stale_runs(
        session=session,
        stale_after=current_app.config["ANALYSIS_STALE_SECONDS"],
        queued_timeout=current_app.config["ANALYSIS_QUEUED_TIMEOUT"],
    )
    session.commit()


@click.command("analyse", help="Lancer une analyse complète d'une consultation (tâche de fond).")
@click.argument("slug")
@click.option("--themes", "n_themes", default="auto", show_default=True, help="Nombre de thèmes ou « auto ».")
@click.option("--wait", is_flag=True, help="Attendre la fin de l'analyse et afficher son résultat.")
@click.option("--timeout", default=7200, show_default=True, help="Attente maximale avec --wait (secondes).")
@with_appcontext
def analyse_command(slug: str, n_themes: str, wait: bool, timeout: int) -> None:
    from consult.analysis.jobs import run_analysis
    from consult.analysis.runs import parse_parameters, record_job, start_run
    from consult.consultations.services import get_consultation
    from consult.errors import Conflict, ValidationFailed
    from consult.jobs import enqueue

    session = _session()
    consultation = get_consultation(session=session, slug=slug)
    if consultation is None:
        raise click.ClickException(f"aucune consultation « {slug} ».")
    _mark_stale(session)
    try:
        run = start_run(
            session=session, consultation=consultation, user=None, parameters=parse_parameters(n_themes=n_themes)
        )
    except ValidationFailed as exc:
        raise click.ClickException(" ".join(str(m) for m in exc.errors.values())) from None
    except Conflict as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    job = enqueue(run_analysis, run.id)
    record_job(session=session, run=run, job_id=job.id, backend=job.backend)
    session.commit()
    click.echo(f"Analyse n° {run.id} de « {slug} » mise en file ({job.backend}, tâche {job.id}).")
    if job.backend == "thread" and not wait:
        # A worker thread dies with this command: without Redis the analysis runs here, so wait for it.
        click.echo("Pas de file Redis (CONSULT_REDIS_URL) : l'analyse s'exécute dans ce processus.")
        wait = True
    if wait:
        _wait(session, run.id, timeout)


def _wait(session, run_id: int, timeout: int) -> None:
    from consult.models import AnalysisRun, RunStatus

    deadline = time.monotonic() + timeout
    last = None
    while True:
        _mark_stale(session)
        session.expire_all()
        run = session.get(AnalysisRun, run_id)
        shown = (run.status, run.step, run.progress)
        if shown != last:
            click.echo(f"  {run.status:<9} {run.progress:>3} %  {run.step}")
            last = shown
        if run.status == RunStatus.SUCCEEDED:
            summary = run.summary
            click.echo(
                f"Analyse terminée en {run.timings.get('total', 0):.1f} s : {run.n_contributions} contributions, "
                f"{summary.get('n_themes', 0)} thèmes, {summary.get('n_opinion_groups', 0)} groupes d'opinion, "
                f"mémoire max. {run.peak_memory_mb} Mo."
            )
            return
        if run.status == RunStatus.FAILED:
            raise click.ClickException(f"l'analyse n° {run_id} a échoué : {run.error}")
        if time.monotonic() > deadline:
            raise click.ClickException(f"l'analyse n° {run_id} n'est pas finie après {timeout} s (elle continue).")
        time.sleep(0.5)


@click.command("worker", help="Traiter les tâches de fond de la file Redis (CONSULT_REDIS_URL).")
@click.option("--burst", is_flag=True, help="S'arrêter quand la file est vide.")
@click.option("--name", default=None, help="Nom du processus de traitement (par défaut : hôte et pid).")
@with_appcontext
def worker_command(burst: bool, name: str | None) -> None:
    from consult.jobs.worker import run_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "CONSULT_REDIS_URL n'est pas défini : sans Redis, les tâches s'exécutent dans le processus du site "
            "et aucun processus de traitement n'est nécessaire."
        )
    run_worker(current_app, burst=burst, name=name)


COMMANDS = (analyse_command, worker_command)
