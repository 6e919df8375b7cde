"""`consult assistant ask`: the assistant's engine on the command line, for operators and evaluation."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale


@click.group("assistant", help="Assistant citoyen : poser une question au moteur local.")
def assistant_group() -> None:
    pass


@assistant_group.command(
    "ask",
    help=(
        "Répondre à TEXT, ou à chaque ligne de l'entrée standard (chacune ouvre une nouvelle conversation, "
        "une réponse par ligne). --json : un objet JSON par réponse (kind, text, sources…)."
    ),
)
@click.option("--consultation", "slug", help="Adresse (slug) de la consultation dont parle la conversation.")
@click.option("--json", "as_json", is_flag=True, help="Une réponse JSON par ligne.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True, help="Langue du site.")
@click.argument("text", required=False)
@with_appcontext
def ask(slug: str | None, as_json: bool, lang: str, text: str | None) -> None:
    from consult.assistant import services
    from consult.db import get_session

    engine = services.get_engine()
    consultation = None
    if slug:
        consultation = services.find_consultation(session=get_session(), slug=slug)
        if consultation is None:
            click.echo(f"Erreur : aucune consultation « {slug} ».", err=True)
            raise SystemExit(1)
    messages = [text] if text is not None else (line.rstrip("\n") for line in sys.stdin)
    with force_locale(lang):
        facts = services.configured_facts(current_app.config)
        known = services.consultation_facts(session=get_session(), consultation=consultation) if consultation else None
        for message in messages:
            reply = engine.reply(message, lang=lang, consultation=known, facts=facts)
            if as_json:
                click.echo(json.dumps(reply.as_json(), ensure_ascii=False))
            else:
                click.echo(f"[{reply.kind}] {reply.text}")
                for source in reply.sources:
                    click.echo(f"  — {source.title} : {source.url}")
