"""Command line: `consult report SLUG --format pdf|docx|odt|xlsx|ods|csv|json --out PATH [--theme KEY]`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from consult.reports.renderers import FORMATS


@click.command("report", help="Écrire la synthèse d'une consultation (analyse terminée la plus récente).")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=True), help="Fichier, ou dossier de sortie.")
@click.option("--theme", "theme", help="Clé d'un thème de l'analyse (« 3 ») : la synthèse de ce thème seul.")
@click.option("--analyse", "run_id", type=int, help="Numéro d'une analyse terminée (par défaut : la plus récente).")
@with_appcontext
def report_command(slug: str, fmt: str, out: str, theme: str | None, run_id: int | None) -> None:
    from sqlmodel import select

    from consult.analysis.results import latest_run
    from consult.consultations.services import get_consultation
    from consult.db import get_session
    from consult.models import AnalysisRun, RunStatus
    from consult.reports.renderers import filename, render
    from consult.reports.synthesis import NoResults, build_synthesis

    session = get_session()
    consultation = get_consultation(session=session, slug=slug)
    if consultation is None:
        _fail(f"aucune consultation « {slug} ».")
    if run_id is None:
        run = latest_run(session=session, consultation_id=consultation.id)
        if run is None:
            _fail(f"aucune analyse terminée pour « {slug} » : lancez `consult analyse {slug} --wait` d'abord.")
    else:
        run = session.exec(
            select(AnalysisRun).where(
                AnalysisRun.id == run_id,
                AnalysisRun.consultation_id == consultation.id,
                AnalysisRun.status == RunStatus.SUCCEEDED,
            )
        ).first()
        if run is None:
            _fail(f"l'analyse n° {run_id} n'est pas une analyse terminée de « {slug} ».")
    started = time.perf_counter()
    _step(f"Synthèse de l'analyse n° {run.id}…")
    try:
        synthesis = build_synthesis(session=session, run=run, theme_key=theme)
    except NoResults:
        _fail(f"l'analyse n° {run.id} n'a pas de thème « {theme} ».")
    built = time.perf_counter()
    _step(f"Mise en forme ({FORMATS[fmt].label})…")
    data = render(synthesis, fmt)
    path = Path(out)
    if path.is_dir():
        path = path / filename(synthesis, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    done = time.perf_counter()
    click.echo(
        f"{path} : synthèse de « {slug} »{f' (thème {theme})' if theme else ''}, analyse n° {run.id}, "
        f"{synthesis.contributions} contribution(s) ; {len(data) / 1e6:.1f} Mo "
        f"(construite en {built - started:.1f} s, mise en forme en {done - built:.1f} s)."
    )


def _step(message: str) -> None:
    if sys.stderr.isatty():
        click.echo(message, err=True)


def _fail(message: str) -> None:
    click.echo(f"Erreur : {message}", err=True)
    raise SystemExit(1)
