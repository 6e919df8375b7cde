"""The sentences of the synthesis, in French, shared by every text format (PDF, DOCX, ODT).

Sober and publishable: figures with what they count, the citizens' own words in quotes, no machine vocabulary
outside the method section.
"""

from __future__ import annotations

from datetime import datetime

from consult.reports.synthesis import Idea, Opinions, Statement, Synthesis, ThemeSection

DIRECTIONS = {"agree": "d'accord", "disagree": "pas d'accord"}

THEMES_INTRO = (
    "Les contributions ont été regroupées par thème selon les mots qu'elles emploient ; à l'intérieur de chaque "
    "thème, les idées rapprochent les contributions qui disent des choses voisines. Chaque idée est désignée par le "
    "titre de la contribution qui la représente le mieux."
)
PRINCIPLES_INTRO = (
    "Les 16 principes européens d'éthique du numérique en santé servent de grille de lecture. Une contribution "
    "peut en toucher plusieurs, ou aucun."
)


def number(value: float, decimals: int = 0) -> str:
    """12 345 or 12,5: narrow no-break space between thousands, comma for decimals."""
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def pct(share: float) -> str:
    return f"{number(share * 100, 1)} %"


def cell(value) -> str:
    if isinstance(value, float):
        return number(value, 1)
    if isinstance(value, int):
        return number(value)
    return str(value)


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{number(count)} {word if count < 2 else (words or word + 's')}"


def document_title(s: Synthesis) -> str:
    return f"{s.title} — {s.scope}" if s.scope else s.title


def kicker(s: Synthesis) -> str:
    return "Synthèse de la consultation citoyenne" + (" — un thème" if s.scope else "")


def run_datetime(s: Synthesis) -> datetime | None:
    return datetime.fromisoformat(s.method.finished_iso) if s.method.finished_iso else None


def cover_facts(s: Synthesis) -> str:
    return (
        f"Consultation ouverte du {s.opens_on} au {s.closes_on} : {s.url}. {plural(s.contributions, 'contribution')} "
        f"{'publiée' if s.contributions < 2 else 'publiées'}, {plural(s.votes, 'vote')}. Document établi à partir de "
        f"l'analyse n° {s.run_id} du {s.run_date}."
    )


def _enumerate(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def essentials(s: Synthesis) -> list[str]:
    paragraphs = []
    if s.themes:
        sentence = (
            f"{plural(s.contributions, 'contribution publiée', 'contributions publiées')} "
            f"{'a' if s.contributions < 2 else 'ont'} été {'analysée' if s.contributions < 2 else 'analysées'}"
            f"{' dans ce thème' if s.scope else ''}."
        )
        if s.scope is None:
            top = [f"« {t.title} » ({pct(t.share)})" for t in s.themes[:3]]
            sentence += (
                f" Elles se répartissent en {plural(len(s.themes), 'thème')} ; "
                f"{'le plus fréquent est' if len(top) == 1 else 'les plus fréquents sont'} {_enumerate(top)}."
            )
        paragraphs.append(sentence)
    if s.votes:
        a = s.agreement
        paragraphs.append(
            f"Les participants ont exprimé {plural(s.votes, 'vote')} : {pct(a.agree / s.votes)} d'accord, "
            f"{pct(a.disagree / s.votes)} pas d'accord et {pct(a.passes / s.votes)} sans avis."
        )
    if s.opinions and s.opinions.groups:
        groups = [f"{g.name} ({plural(g.size, 'participant')})" for g in s.opinions.groups]
        paragraphs.append(
            f"D'après leurs votes, les participants se répartissent en {len(groups)} groupes d'opinion : "
            f"{_enumerate(groups)}."
        )
    return paragraphs


def participation(s: Synthesis) -> str:
    return (
        f"Consultation ouverte du {s.opens_on} au {s.closes_on}. {plural(s.participants, 'personne')} "
        f"{'y a' if s.participants < 2 else 'y ont'} pris part en déposant une contribution ou en votant."
    )


def theme_facts(theme: ThemeSection, whole: bool) -> str:
    text = f"{plural(theme.count, 'contribution')} ({pct(theme.share)}{' du total' if whole else ''})"
    votes = theme.votes
    if votes.total:
        text += (
            f" · {plural(votes.total, 'vote')} : {pct(votes.agree / votes.total)} d'accord, "
            f"{pct(votes.disagree / votes.total)} pas d'accord, {pct(votes.passes / votes.total)} sans avis"
        )
    return text


def idea_line(idea: Idea) -> str:
    return f"« {idea.name} » — {plural(idea.count, 'contribution')} ({pct(idea.share)} du thème)"


def statement_votes(st: Statement) -> str:
    if not st.seen:
        return ""
    return f" : {number(st.agree)} d'accord, {number(st.disagree)} pas d'accord sur {plural(st.seen, 'vote')}"


def statement_line(st: Statement) -> str:
    return f"« {st.title} » — contribution n° {st.contribution_id}{statement_votes(st)}"


def group_line(st: Statement) -> str:
    return (
        f"{DIRECTIONS.get(st.direction, st.direction).capitalize()} avec « {st.title} » — contribution "
        f"n° {st.contribution_id}{statement_votes(st)} du groupe"
    )


def group_theme_line(name: str, st: Statement) -> str:
    return f"{name}, plus que les autres, est {DIRECTIONS.get(st.direction, st.direction)} avec « {st.title} »"


def opinions_intro(opinions: Opinions) -> str:
    return (
        "Les participants qui votent de la même manière sur les mêmes contributions forment un groupe d'opinion. "
        f"{number(opinions.n_grouped)} des {plural(opinions.n_participants, 'votant')} ont assez voté pour être "
        "placés dans un groupe."
    )


def method_paragraphs(s: Synthesis) -> list[str]:
    m = s.method
    return [
        f"La synthèse porte sur les contributions publiées de la consultation au moment de l'analyse n° {m.run_id} "
        f"(terminée le {m.finished_at}) : {plural(m.n_contributions, 'contribution')} lues, dont "
        f"{number(s.contributions) if s.scope is None else 'les'} publiées dans le champ de ce document, et "
        f"{plural(m.n_votes, 'vote')}. Une contribution masquée, refusée ou retirée depuis n'est ni comptée ni "
        "citée. Chaque chiffre renvoie à des numéros de contributions, consultables en ligne ; l'annexe en donne la "
        "liste pour chaque thème et chaque idée.",
        "Les textes ont été analysés par la bibliothèque d'analyse de la plateforme, sur les serveurs de l'État, sans "
        "service extérieur : thèmes et idées par factorisation de matrice sur les mots des contributions, principes "
        "éthiques par lexique et apprentissage sur les choix des modérateurs, groupes d'opinion par la méthode "
        "publiée de Pol.is (analyse en composantes principales des votes puis regroupement), citations choisies pour "
        "être à la fois centrales et diverses. Pour une même analyse et les mêmes données, le résultat est identique.",
    ]
