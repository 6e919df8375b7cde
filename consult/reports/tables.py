"""The synthesis as named tables of plain values: the sheets of XLSX and ODS, the tables of DOCX and ODT."""

from __future__ import annotations

from dataclasses import dataclass

from consult.reports.synthesis import Statement, Synthesis

DIRECTIONS = {"agree": "d'accord", "disagree": "pas d'accord", "divisive": "partagé"}


@dataclass(frozen=True)
class Sheet:
    name: str  # 31 characters at most (spreadsheet limit)
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]


def ids(values) -> str:
    return " ".join(str(v) for v in values)


def percent(share: float) -> float:
    return round(100 * share, 1)


def _statement_row(s: Statement) -> tuple:
    return (s.contribution_id, s.title, DIRECTIONS.get(s.direction, s.direction), s.agree, s.disagree, s.seen, s.url)


STATEMENT_HEADERS = ("Contribution", "Titre", "Sens", "D'accord", "Pas d'accord", "Votes vus", "Adresse")


def sheets(s: Synthesis) -> list[Sheet]:
    """Every table of the synthesis, in the order of the document."""
    found = [
        Sheet("Chiffres clés", "Chiffres clés", ("Indicateur", "Valeur"), s.key_figures),
        Sheet(
            "Thèmes",
            "Thèmes : contributions, part, votes",
            (
                "Thème",
                "Contributions",
                "Part (%)",
                "D'accord",
                "Pas d'accord",
                "Sans avis",
                "Mots caractéristiques",
                "Thème de référence",
                "Contributions (numéros)",
            ),
            tuple(
                (
                    t.title,
                    t.count,
                    percent(t.share),
                    t.votes.agree,
                    t.votes.disagree,
                    t.votes.passes,
                    ", ".join(t.terms),
                    t.reference_label or "",
                    ids(t.contribution_ids),
                )
                for t in s.themes
            ),
        ),
        Sheet(
            "Idées",
            "Idées de chaque thème, par nombre de contributions",
            ("Thème", "Idée", "Contributions", "Part du thème (%)", "Mots caractéristiques", "Contributions (numéros)"),
            tuple(
                (t.title, i.name, i.count, percent(i.share), ", ".join(i.terms), ids(i.contribution_ids))
                for t in s.themes
                for i in t.ideas
            ),
        ),
        Sheet(
            "Principes",
            "Principes éthiques touchés",
            ("Principe", "Contributions", "Part (%)", "Contributions (numéros)"),
            tuple((p.label, p.count, percent(p.share), ids(p.contribution_ids)) for p in s.principles),
        ),
        Sheet(
            "Thèmes × principes",
            "Contributions par thème et principe",
            ("Thème", *s.matrix.columns),
            tuple((row, *values) for row, values in zip(s.matrix.rows, s.matrix.values, strict=True)),
        ),
        Sheet(
            "Participation",
            f"Contributions par {s.participation_unit}",
            ("Période", "Contributions"),
            s.participation,
        ),
        Sheet(
            "Canaux",
            "Contributions par canal",
            ("Canal", "Contributions", "Part (%)"),
            tuple((c.label, c.count, percent(c.share)) for c in s.channels),
        ),
    ]
    if s.moderation:
        found.append(
            Sheet(
                "Modération",
                "Contributions par état de modération",
                ("État", "Contributions", "Part (%)"),
                tuple((m.label, m.count, percent(m.share)) for m in s.moderation),
            )
        )
    if s.opinions:
        found += [
            Sheet(
                "Groupes d'opinion",
                "Groupes d'opinion",
                ("Groupe", "Participants", "Part (%)"),
                tuple((g.name, g.size, percent(g.share)) for g in s.opinions.groups),
            ),
            Sheet(
                "Positions des groupes",
                "Ce qui distingue chaque groupe",
                ("Groupe", *STATEMENT_HEADERS),
                tuple((g.name, *_statement_row(st)) for g in s.opinions.groups for st in g.representative),
            ),
            Sheet(
                "Consensus",
                "Contributions qui rassemblent",
                STATEMENT_HEADERS,
                tuple(_statement_row(st) for st in s.opinions.consensus),
            ),
            Sheet(
                "Clivages",
                "Contributions qui divisent les groupes",
                (*STATEMENT_HEADERS, *(f"D'accord {g.name} (%)" for g in s.opinions.groups)),
                tuple((*_statement_row(st), *(percent(r) for r in st.group_agree)) for st in s.opinions.divisive),
            ),
        ]
    found += [
        Sheet(
            "Citations",
            "Citations représentatives (données personnelles masquées)",
            ("Thème", "Contribution", "Titre", "Texte", "Adresse"),
            tuple((t.title, q.contribution_id, q.title, q.text, q.url) for t in s.themes for q in t.quotes),
        ),
        Sheet(
            "Contributions",
            "Chaque contribution analysée et où elle est comptée",
            (
                "Contribution",
                "Date",
                "Canal",
                "Thème",
                "Idée",
                "Principes",
                "D'accord",
                "Pas d'accord",
                "Sans avis",
                "Adresse",
            ),
            tuple(
                (
                    r.contribution_id,
                    r.day,
                    r.channel,
                    r.theme,
                    r.idea,
                    " ".join(r.principles),
                    r.agree,
                    r.disagree,
                    r.passes,
                    r.url,
                )
                for r in s.rows
            ),
        ),
        Sheet(
            "Méthode",
            "Analyse dont la synthèse est tirée",
            ("Élément", "Valeur"),
            (
                ("Analyse n°", s.method.run_id),
                ("Terminée le", s.method.finished_at),
                ("Contributions lues", s.method.n_contributions),
                ("Votes lus", s.method.n_votes),
                ("Participants aux votes", s.method.n_participants),
                ("Empreinte des données (SHA-256)", s.method.fingerprint),
                *s.method.parameters,
                *s.method.versions,
            ),
        ),
    ]
    return found
