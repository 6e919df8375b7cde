"""The `consult` console command: database, demo data, users, server."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from consult.models import Role


def _create_app(*_args, **_kwargs) -> Flask:
    from consult import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(create_app=_create_app, add_version_option=False, load_dotenv=False,
                     help="Administration de la plateforme de consultation (DNS).")
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
    from consult.db import get_session
    from consult.demo import DEMO_PASSWORD, seed_demo as run_seed

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
        user = register_user(session=session, email=email, pseudonym=pseudonym, password=password, consent=True,
                             min_password_length=current_app.config["PASSWORD_MIN_LENGTH"], role=role)
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


def register_commands(app: Flask) -> None:
    for command in (db_group, seed_demo, create_user, set_role, sync_taxonomy_command):
        app.cli.add_command(command)
