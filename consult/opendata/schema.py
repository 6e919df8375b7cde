"""The documented schema of the open data files, the licence notice and the README of an export (French).

One description of every column (SCHEMA) feeds both datapackage.json (Frictionless Table Schema, read by
data.gouv.fr tools) and the README, so the two never disagree.
"""

from __future__ import annotations

from consult.opendata import polis

_DAY = "Jour (UTC), en millisecondes depuis le 1er janvier 1970 à minuit : l'heure est volontairement retirée."

SCHEMA: dict[str, dict] = {
    polis.SUMMARY: {
        "title": "Résumé de la consultation",
        "description": "Lignes clé, valeur (sans en-tête), comme le summary.csv de Pol.is.",
        "fields": [
            {"name": "key", "type": "string", "description": "Nom de la valeur (topic, url, voters, comments…)"},
            {"name": "value", "type": "string", "description": "Valeur"},
        ],
    },
    polis.COMMENTS: {
        "title": "Contributions publiées",
        "description": "Une ligne par contribution publiée (les « déclarations » de Pol.is). Les données "
        "personnelles détectées sont masquées, comme sur le site.",
        "fields": [
            {"name": "timestamp", "type": "integer", "description": f"Dépôt de la contribution. {_DAY}"},
            {"name": "datetime", "type": "date", "description": "Jour du dépôt (AAAA-MM-JJ, UTC)"},
            {"name": "comment-id", "type": "integer", "description": "Numéro de la contribution sur le site"},
            {"name": "author-id", "type": "integer", "description": "Numéro pseudonyme de son auteur (participant)"},
            {"name": "agrees", "type": "integer", "description": "Votes « d'accord »"},
            {"name": "disagrees", "type": "integer", "description": "Votes « pas d'accord »"},
            {"name": "moderated", "type": "integer", "description": "1 : publiée après modération (toujours 1 ici)"},
            {"name": "comment-body", "type": "string", "description": "Texte de la contribution"},
            {"name": "title", "type": "string", "description": "Titre de la contribution"},
            {"name": "passes", "type": "integer", "description": "Votes « sans avis »"},
            {"name": "theme-id", "type": "string", "description": "Thème de référence choisi par l'auteur (T01…T18)"},
            {"name": "channel", "type": "string", "description": "Canal : web, chat (assistant) ou import"},
            {"name": "url", "type": "string", "format": "uri", "description": "Adresse de la contribution"},
        ],
    },
    polis.VOTES: {
        "title": "Votes",
        "description": "Une ligne par vote en vigueur (le dernier choix de chaque participant sur chaque "
        "contribution publiée).",
        "fields": [
            {"name": "timestamp", "type": "integer", "description": f"Dernière modification du vote. {_DAY}"},
            {"name": "datetime", "type": "date", "description": "Jour du vote (AAAA-MM-JJ, UTC)"},
            {"name": "comment-id", "type": "integer", "description": "Numéro de la contribution"},
            {"name": "voter-id", "type": "integer", "description": "Numéro pseudonyme du participant"},
            {"name": "vote", "type": "integer", "description": "1 d'accord, -1 pas d'accord, 0 sans avis"},
        ],
    },
    polis.PARTICIPANTS_VOTES: {
        "title": "Matrice participants × contributions",
        "description": "Une ligne par participant, une colonne par contribution (son numéro) : 1, -1, 0, ou "
        "vide si le participant n'a pas voté sur cette contribution.",
        "fields": [
            {"name": "participant", "type": "integer", "description": "Numéro pseudonyme du participant"},
            {
                "name": "group-id",
                "type": "integer",
                "description": "Vide : les groupes d'opinion sont décrits "
                "dans la synthèse, sans rattacher de participant",
            },
            {"name": "n-comments", "type": "integer", "description": "Contributions publiées du participant"},
            {"name": "n-votes", "type": "integer", "description": "Votes du participant"},
            {"name": "n-agree", "type": "integer", "description": "Dont « d'accord »"},
            {"name": "n-disagree", "type": "integer", "description": "Dont « pas d'accord »"},
        ],
    },
}

LICENCE_TEXT = """\
# Licence

Ces données sont publiées par la Délégation au numérique en santé sous la **Licence Ouverte / Open Licence
version 2.0** (Etalab), licence de réutilisation des informations publiques de l'État :
https://www.etalab.gouv.fr/licence-ouverte-open-licence

En bref (le texte officiel fait foi) : vous pouvez copier, diffuser, modifier, adapter et exploiter ces
données, y compris à des fins commerciales, à condition d'en mentionner la source et la date de dernière
mise à jour, par exemple : « Délégation au numérique en santé — consultation citoyenne, données ouvertes ».
Ne laissez pas croire que l'administration approuve votre réutilisation.

Les textes des contributions restent l'expression de leurs auteurs : citez-les sans les dénaturer.
"""


def _columns_table(name: str) -> str:
    lines = ["| colonne | type | signification |", "|---|---|---|"]
    for field in SCHEMA[name]["fields"]:
        lines.append(f"| `{field['name']}` | {field['type']} | {field['description']} |")
    return "\n".join(lines)


def readme_text(consultation, links, counts, matrix_max_cells: int) -> str:
    """The README of an export: what the files hold, how people are protected, the columns."""
    matrix = (
        f"- `{polis.PARTICIPANTS_VOTES}` : {SCHEMA[polis.PARTICIPANTS_VOTES]['description']}"
        if counts.matrix_written
        else f"- `{polis.PARTICIPANTS_VOTES}` n'est pas fourni : la matrice aurait "
        f"{counts.participants:,} × {counts.contributions:,} cases (plus de {matrix_max_cells:,}), presque "
        f"toutes vides ; `{polis.VOTES}` contient les mêmes votes.".replace(",", " ")
    )
    sections = [
        f"# {consultation.title} — données ouvertes",
        f"Consultation citoyenne de la Délégation au numérique en santé : {links.consultation(consultation.slug)}",
        f"Question posée : {consultation.question}",
        f"Contenu : {counts.contributions} contributions publiées, {counts.votes} votes, "
        f"{counts.participants} participants.",
        "## Fichiers",
        "Disposition des données ouvertes de Pol.is (les outils qui lisent ce format lisent ces fichiers ; "
        "les colonnes ajoutées viennent après les siennes) :",
        "\n".join(
            [
                f"- `{polis.SUMMARY}` : {SCHEMA[polis.SUMMARY]['description']}",
                f"- `{polis.COMMENTS}` : {SCHEMA[polis.COMMENTS]['description']}",
                f"- `{polis.VOTES}` : {SCHEMA[polis.VOTES]['description']}",
                matrix,
                "- `datapackage.json` : le schéma de ces fichiers (Data Package / Table Schema, JSON).",
                "- `LICENCE.md` : la licence (Licence Ouverte 2.0).",
            ]
        ),
        "## Protection des personnes",
        "Seules les contributions publiées figurent ici, avec les données personnelles masquées comme sur le "
        "site. Les participants n'apparaissent que par un numéro pseudonyme propre à cet export (jamais un "
        "pseudonyme, une adresse ou un identifiant de compte). Les dates sont arrondies au jour, pour qu'une "
        "heure précise ne permette pas de reconnaître quelqu'un.",
        "## Colonnes",
        *(f"### {name}\n\n{_columns_table(name)}" for name in SCHEMA),
    ]
    return "\n\n".join(sections) + "\n"
