"""Command line: `consult import`, with a progress bar on a terminal."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from consult.models import ImportFormat

STAGES = {
    "read": "Lecture",
    "screen": "Données personnelles",
    "contributions": "Contributions",
    "votes": "Votes",
}


class ProgressBars:
    """One tqdm bar per stage on a terminal; nothing when the output is redirected."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=STAGES.get(stage, stage), unit="", file=sys.stderr)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@click.command("import", help="Importer des contributions d'autres canaux (CSV, JSON, dossier Pol.is, Decidim).")
@click.argument("path", type=click.Path(exists=True))
@click.option("--consultation", "slug", required=True, help="Adresse (slug) de la consultation.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in ImportFormat]), required=True)
@click.option("--text-column", help="Colonne du texte (par défaut : text, texte, body, contenu…).")
@click.option("--title-column", help="Colonne du titre (par défaut : title ou titre ; sinon tiré du texte).")
@click.option("--id-column", help="Colonne de l'identifiant dans la source (par défaut : id).")
@click.option("--author-column", help="Colonne de l'auteur (identifiant) ; sans elle, auteurs non identifiés.")
@click.option("--theme-column", help="Colonne du thème de référence (T01 à T18).")
@click.option("--date-column", help="Colonne de la date (AAAA-MM-JJ[ HH:MM] ou JJ/MM/AAAA, heure de Paris).")
@click.option("--dry-run", is_flag=True, help="Tout vérifier sans rien enregistrer.")
@with_appcontext
def import_command(
    path, slug, fmt, text_column, title_column, id_column, author_column, theme_column, date_column, dry_run
) -> None:
    from consult.consultations.services import get_consultation
    from consult.db import get_session
    from consult.opendata.imports import import_contributions
    from consult.opendata.sources import Columns, SourceFiles

    session = get_session()
    consultation = get_consultation(session=session, slug=slug)
    if consultation is None:
        click.echo(f"Erreur : aucune consultation « {slug} ».", err=True)
        raise SystemExit(1)
    columns = Columns(
        text=text_column, title=title_column, id=id_column, author=author_column, theme=theme_column, date=date_column
    )
    bars = ProgressBars(sys.stderr.isatty())
    try:
        report = import_contributions(
            session=session,
            consultation=consultation,
            files=SourceFiles.from_path(path),
            fmt=fmt,
            columns=columns,
            dry_run=dry_run,
            progress=bars,
        )
    finally:
        bars.close()
    for note in report.notes:
        click.echo(f"Note : {note}")
    if report.problems:
        session.rollback()
        click.echo(f"{len(report.problems)} problème(s) : rien n'a été importé.", err=True)
        for problem in report.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1)
    summary = (
        f"{report.rows} contribution(s), {report.votes} vote(s), {report.participants} participant(s) ; "
        f"données personnelles masquées dans {report.redacted} contribution(s)"
        + (f" ({', '.join(report.redacted_kinds)})" if report.redacted_kinds else "")
    )
    if dry_run:
        click.echo(f"Vérification sans erreur (rien n'a été enregistré) : {summary}.")
        return
    session.commit()
    click.echo(f"Import n° {report.batch.id} dans « {consultation.slug} » : {summary}.")


@click.command("export-opendata", help="Exporter les données ouvertes d'une consultation (disposition Pol.is).")
@click.argument("slug")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Dossier de sortie.")
@with_appcontext
def export_opendata_command(slug: str, out: str) -> None:
    from flask import current_app

    from consult.consultations.services import get_consultation
    from consult.db import get_session
    from consult.opendata.exports import OpenDataExport, write_directory
    from consult.publication import public_links

    session = get_session()
    consultation = get_consultation(session=session, slug=slug)
    if consultation is None:
        click.echo(f"Erreur : aucune consultation « {slug} ».", err=True)
        raise SystemExit(1)
    export = OpenDataExport(
        session=session,
        consultation=consultation,
        links=public_links(),
        matrix_max_cells=current_app.config["OPENDATA_MATRIX_MAX_CELLS"],
    )
    names = write_directory(export, out)
    counts = export.counts
    click.echo(
        f"Données ouvertes de « {slug} » dans {out} : {counts.contributions} contribution(s), {counts.votes} vote(s), "
        f"{counts.participants} participant(s) ; fichiers : {', '.join(names)}."
    )
