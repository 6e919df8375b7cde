"""The `consult` console command: database, demo data, users, server."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from consult.models import Role


def _create_app(*_args, **_kwargs) -> Flask:
    from consult import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(
        create_app=_create_app,
        add_version_option=False,
        load_dotenv=False,
        help="Administration de la plateforme de consultation (DNS).",
    )
    cli.main(prog_name="consult")


@click.group("db", help="Base de données (migrations Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Appliquer les migrations jusqu'à la dernière version.")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    from consult.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Base de données à jour ({revision}).")
    if revision == "head":
        _sync_taxonomy()


def _sync_taxonomy() -> None:
    from consult.db import get_session
    from consult.taxonomy.services import read_taxonomy, sync_taxonomy

    session = get_session()
    count = sync_taxonomy(session=session, data=read_taxonomy(current_app.config["TAXONOMY_PATH"]))
    session.commit()
    click.echo(f"Taxonomie chargée : {count} entrées (dimensions, principes, thèmes).")


@click.command("sync-taxonomy", help="Recharger la taxonomie (config/taxonomy.yaml) dans la base.")
@with_appcontext
def sync_taxonomy_command() -> None:
    _sync_taxonomy()


@click.command("seed-demo", help="Créer la consultation de démonstration et les comptes de démonstration.")
@with_appcontext
def seed_demo() -> None:
    from consult.config import DEVELOPMENT_ENVS
    from consult.db import get_session
    from consult.demo import DEMO_PASSWORD
    from consult.demo import seed_demo as run_seed

    if current_app.config["ENV"] not in DEVELOPMENT_ENVS:
        click.echo(
            f"Refusé : la démonstration (comptes au mot de passe public) n'est créée qu'en développement, "
            f"pas avec CONSULT_ENV={current_app.config['ENV']}.",
            err=True,
        )
        raise SystemExit(1)
    session = get_session()
    report = run_seed(session=session)
    session.commit()
    click.echo(f"Démo : {report}")
    click.echo(f"Comptes de démonstration (mot de passe commun : {DEMO_PASSWORD}) :")
    for role, email in report.accounts.items():
        click.echo(f"  {role:<10} {email}")


@click.command("create-user", help="Créer un compte (administration).")
@click.option("--email", required=True)
@click.option("--pseudonym", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CITIZEN.value, show_default=True)
@click.password_option("--password")
@with_appcontext
def create_user(email: str, pseudonym: str, role: str, password: str) -> None:
    from consult.auth.services import register_user
    from consult.db import get_session
    from consult.errors import ValidationFailed

    session = get_session()
    try:
        user = register_user(
            session=session,
            email=email,
            pseudonym=pseudonym,
            password=password,
            consent=True,
            min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            role=role,
        )
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            click.echo(f"Erreur ({field}) : {message}", err=True)
        raise SystemExit(1) from None
    session.commit()
    click.echo(f"Compte créé : {user.email} ({user.role}).")


@click.command("set-role", help="Changer le rôle d'un compte existant.")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@with_appcontext
def set_role(email: str, role: str) -> None:
    from sqlmodel import select

    from consult.db import get_session
    from consult.models import User

    session = get_session()
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        click.echo(f"Erreur : aucun compte avec l'adresse {email}.", err=True)
        raise SystemExit(1)
    user.role = role
    session.add(user)
    session.commit()
    click.echo(f"{user.email} a maintenant le rôle {role}.")


@click.group("consultation", help="Consultations : lister, créer, modifier.")
def consultation_group() -> None:
    pass


_PHASE_HELP = "Étape « titre|début|fin » (dates AAAA-MM-JJ[THH:MM], heure de Paris) ; répétable, remplace les étapes."


def _phases(values: tuple[str, ...]):
    from consult.consultations.forms import parse_local_datetime
    from consult.consultations.services import PhaseInput

    phases = []
    for value in values:
        parts = value.split("|")
        if len(parts) != 3:
            raise click.BadParameter(f"« {value} » : attendu titre|début|fin", param_hint="--phase")
        title, starts, ends = (part.strip() for part in parts)
        phases.append(
            PhaseInput(title=title, starts_at=parse_local_datetime(starts), ends_at=parse_local_datetime(ends))
        )
    return phases


def _report_errors(exc) -> None:
    for field, message in exc.errors.items():
        click.echo(f"Erreur ({field}) : {message}", err=True)
    raise SystemExit(1)


@consultation_group.command("list", help="Lister les consultations par état.")
@with_appcontext
def consultation_list() -> None:
    from consult.consultations.services import list_consultations
    from consult.db import get_session

    for status, consultations in list_consultations(session=get_session()).items():
        for consultation in consultations:
            click.echo(
                f"{status:<9} {consultation.slug:<40} {consultation.opens_at:%Y-%m-%d} → "
                f"{consultation.closes_at:%Y-%m-%d}  modération {consultation.moderation}  {consultation.title}"
            )


@consultation_group.command("create", help="Créer une consultation.")
@click.option("--slug", required=True, help="Adresse : lettres minuscules, chiffres, tirets.")
@click.option("--title", required=True)
@click.option("--summary", required=True)
@click.option("--question", required=True)
@click.option("--opens", "opens", required=True, help="Ouverture, AAAA-MM-JJ[THH:MM] (heure de Paris).")
@click.option("--closes", "closes", required=True, help="Clôture, AAAA-MM-JJ[THH:MM] (heure de Paris).")
@click.option("--description-file", type=click.File(encoding="utf-8"), help="Contexte en Markdown.")
@click.option("--moderation", type=click.Choice(["pre", "post"]), default="post", show_default=True)
@click.option("--phase", "phase_values", multiple=True, help=_PHASE_HELP)
@with_appcontext
def consultation_create(
    slug, title, summary, question, opens, closes, description_file, moderation, phase_values
) -> None:
    from consult.consultations.forms import parse_local_datetime
    from consult.consultations.services import create_consultation
    from consult.db import get_session
    from consult.errors import ValidationFailed

    session = get_session()
    try:
        consultation = create_consultation(
            session=session,
            slug=slug,
            title=title,
            summary=summary,
            question=question,
            opens_at=parse_local_datetime(opens),
            closes_at=parse_local_datetime(closes),
            description=description_file.read() if description_file else "",
            moderation=moderation,
            phases=_phases(phase_values),
            validate=True,
        )
    except ValidationFailed as exc:
        _report_errors(exc)
    session.commit()
    click.echo(f"Consultation créée : {consultation.slug} ({consultation.status()}).")


@consultation_group.command("edit", help="Modifier une consultation (seules les options données changent).")
@click.argument("slug")
@click.option("--new-slug")
@click.option("--title")
@click.option("--summary")
@click.option("--question")
@click.option("--opens", "opens", help="Ouverture, AAAA-MM-JJ[THH:MM] (heure de Paris).")
@click.option(
    "--closes", "closes", help="Clôture, AAAA-MM-JJ[THH:MM] (heure de Paris) ; une date passée clôt la consultation."
)
@click.option("--description-file", type=click.File(encoding="utf-8"))
@click.option("--moderation", type=click.Choice(["pre", "post"]))
@click.option("--phase", "phase_values", multiple=True, help=_PHASE_HELP)
@with_appcontext
def consultation_edit(
    slug, new_slug, title, summary, question, opens, closes, description_file, moderation, phase_values
) -> None:
    from consult.consultations.forms import parse_local_datetime
    from consult.consultations.services import get_consultation, update_consultation
    from consult.db import get_session
    from consult.errors import ValidationFailed

    session = get_session()
    consultation = get_consultation(session=session, slug=slug)
    if consultation is None:
        click.echo(f"Erreur : aucune consultation « {slug} ».", err=True)
        raise SystemExit(1)
    fields = {
        "slug": new_slug,
        "title": title,
        "summary": summary,
        "question": question,
        "moderation": moderation,
        "description": description_file.read() if description_file else None,
    }
    fields = {key: value for key, value in fields.items() if value is not None}
    for key, value in (("opens_at", opens), ("closes_at", closes)):
        if value is not None:
            fields[key] = parse_local_datetime(value)
    try:
        update_consultation(
            session=session,
            consultation=consultation,
            fields=fields,
            phases=_phases(phase_values) if phase_values else None,
        )
    except ValidationFailed as exc:
        _report_errors(exc)
    session.commit()
    click.echo(f"Consultation modifiée : {consultation.slug} ({consultation.status()}).")


@click.command("purge", help="Effacer ou anonymiser les données arrivées au terme de leur durée de conservation.")
@click.option("--dry-run", is_flag=True, help="Compter sans rien effacer.")
@click.option("--only", "only", multiple=True, help="Nom d'une purge (répétable) ; toutes par défaut.")
@with_appcontext
def purge(dry_run: bool, only: tuple[str, ...]) -> None:
    from sqlmodel import Session

    from consult.db import get_engine
    from consult.models import utcnow
    from consult.retention import PURGES, run_purges

    unknown = set(only) - set(PURGES)
    if unknown:
        raise click.BadParameter(
            f"purge inconnue : {', '.join(sorted(unknown))} ; connues : {', '.join(sorted(PURGES))}"
        )
    results = run_purges(
        open_session=lambda: Session(get_engine(), expire_on_commit=False),
        now=utcnow(),
        dry_run=dry_run,
        only=set(only) or None,
    )
    verb = "à traiter" if dry_run else "traité(s)"
    for result in results:
        if result.error:
            click.echo(f"{result.name} : ÉCHEC ({result.error})", err=True)
        else:
            click.echo(f"{result.name} : {result.count} {verb}")
    if any(result.error for result in results):
        raise SystemExit(1)


@click.command("backup", help="Sauvegarder la base (pg_dump au format custom, ou copie SQLite cohérente).")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Remplacer le fichier s'il existe déjà.")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    from consult.backup import BackupError, backup

    try:
        report = backup(current_app.config["DATABASE_URL"], path, overwrite=force)
    except BackupError as exc:
        click.echo(f"Erreur : {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"Sauvegarde {report.kind} écrite : {report.path} ({report.size / 1e6:.1f} Mo, "
        f"version de migration {report.revision or 'aucune'})."
    )


@click.command("restore", help="Restaurer une sauvegarde de `consult backup` (remplace tout le contenu de la base).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Remplacer le contenu d'une base qui n'est pas vide.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    from consult.backup import BackupError, restore

    try:
        report = restore(current_app.config["DATABASE_URL"], path, force=force)
    except BackupError as exc:
        click.echo(f"Erreur : {exc}", err=True)
        raise SystemExit(1) from None
    replaced = f", {report.replaced_tables} tables remplacées" if report.replaced_tables else ""
    click.echo(f"Sauvegarde {path} restaurée ({report.kind}{replaced}), version de migration {report.revision}.")
    for table in ("user", "consultation", "contribution", "vote", "comment"):
        if table in report.counts:
            count = report.counts[table]
            click.echo(f"  {table:<13} {count} ligne{'s' if count > 1 else ''}")
    if report.needs_upgrade:
        click.echo(f"La sauvegarde précède ce code (dernière version : {report.head}) : lancez « consult db upgrade ».")


def register_commands(app: Flask) -> None:
    from consult.analysis.commands import COMMANDS as ANALYSIS_COMMANDS
    from consult.assistant.cli import assistant_group
    from consult.opendata.cli import export_opendata_command, import_command
    from consult.reports.cli import report_command

    for command in (
        db_group,
        seed_demo,
        create_user,
        set_role,
        sync_taxonomy_command,
        purge,
        backup_command,
        restore_command,
        import_command,
        export_opendata_command,
        report_command,
        *ANALYSIS_COMMANDS,
    ):
        app.cli.add_command(command)
    app.cli.add_command(consultation_group)
    app.cli.add_command(assistant_group)
