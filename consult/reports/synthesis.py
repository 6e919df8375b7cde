"""The thematic synthesis of a consultation, built once from a stored analysis run: a tree of plain dataclasses.

`build_synthesis(session=…, run=…, theme_key=None)` reads the run's stored results (consult.analysis.results,
restricted to what is published now), the taxonomy's wording and the contributions' current published text, and
returns a `Synthesis`. Renderers (consult.reports.renderers) read that tree only, never the database, so every
format says the same thing. Every figure keeps the ids of the contributions behind it, and nothing depends on the
clock: the same run gives the same synthesis.

Texts quoted are screened for personal data once more (consult.publication.mask_personal_data): a synthesis
leaves the site for good.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from consult.analysis.results import RunResults, ThemeResult, load_run_results, published_only
from consult.analysis.runs import consultation_snapshot
from consult.models import (
    AnalysisRun,
    Consultation,
    Contribution,
    ContributionStatus,
    Principle,
    RunContribution,
    Theme,
)
from consult.publication import PublicLinks, mask_personal_data, public_links

# The taxonomy prefixes working wordings with "[À VÉRIFIER]": published documents mark them with "*" instead.
WORKING_MARK = re.compile(r"^\s*\[[^\]]*\]\s*")
WORKING_NOTE = "* Intitulé de travail : la formulation française officielle de ce principe n'a pas encore été vérifiée."
THEME_NOTE = (
    "Chaque thème découvert porte le nom du thème de référence de la Délégation dont il est le plus proche ; ce "
    "rapprochement est automatique et figure avec les mots les plus caractéristiques du thème."
)
N_VERBATIMS = 4
N_STATEMENTS = 5
GROUP_NAMES = "ABCDEFGH"
# Below this many days the participation chart counts per day, above it per week.
DAILY_UP_TO = 62

LIMITS = (
    "Les thèmes et les idées sont découverts automatiquement à partir des mots employés : un même texte ne "
    "relève que d'un thème, celui dont il est le plus proche ; des contributions courtes ou très générales "
    "peuvent être mal classées.",
    "Les principes éthiques sont repérés à partir d'un lexique et, quand il y en a, des choix des modérateurs : "
    "chaque rattachement indique son score et les mots qui l'ont déclenché, et reste à vérifier.",
    "Les groupes d'opinion sont calculés à partir des votes (méthode de Pol.is) : ils décrivent des manières de "
    "voter, pas des catégories de personnes ; un participant qui a peu voté n'est placé dans aucun groupe.",
    "Les contributions ne constituent pas un échantillon représentatif de la population : elles émanent des "
    "personnes qui ont choisi de participer.",
    "Les données personnelles détectées sont masquées dans les citations ; la détection automatique peut en "
    "manquer ou masquer à tort un nom d'usage courant.",
)


@dataclass(frozen=True)
class Quote:
    """A citizen's words: the contribution's id, its address and its (masked) text."""

    contribution_id: int
    url: str
    title: str
    text: str


@dataclass(frozen=True)
class Figure:
    """A labelled count, its share of a base, and the contributions it counts."""

    key: str
    label: str
    count: int
    share: float
    contribution_ids: tuple[int, ...] = ()
    short: str = ""  # for charts: a short label (the taxonomy's), else the label

    @property
    def chart_label(self) -> str:
        return self.short or self.label


@dataclass(frozen=True)
class Tally:
    """Votes on a set of contributions."""

    agree: int = 0
    disagree: int = 0
    passes: int = 0

    @property
    def total(self) -> int:
        return self.agree + self.disagree + self.passes


@dataclass(frozen=True)
class Statement:
    """A contribution people agree on, or are divided on, or that sets a group apart, with its figures."""

    contribution_id: int
    url: str
    title: str
    direction: str  # "agree" or "disagree" ("divisive" for divisive statements)
    agree: int
    disagree: int
    seen: int
    group_agree: tuple[float, ...] = ()  # divisive statements: agree rate in each group


@dataclass(frozen=True)
class Idea:
    key: str
    name: str  # the title of its most representative contribution, in the citizens' words
    terms: tuple[str, ...]
    count: int
    share: float  # of its theme
    contribution_ids: tuple[int, ...]
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class ThemeSection:
    key: str
    title: str
    short_title: str  # for charts
    reference_theme_id: str | None
    reference_label: str | None
    terms: tuple[str, ...]
    count: int
    share: float
    contribution_ids: tuple[int, ...]
    ideas: tuple[Idea, ...]
    quotes: tuple[Quote, ...]
    summary: tuple[str, ...]
    votes: Tally
    principles: tuple[Figure, ...]
    consensus: tuple[Statement, ...]
    divisive: tuple[Statement, ...]
    group_statements: tuple[tuple[str, tuple[Statement, ...]], ...]  # (group name, its statements in this theme)


@dataclass(frozen=True)
class OpinionGroup:
    name: str
    size: int
    share: float
    center: tuple[float, float]
    representative: tuple[Statement, ...]


@dataclass(frozen=True)
class Opinions:
    n_participants: int
    n_grouped: int
    groups: tuple[OpinionGroup, ...]
    points: tuple[tuple[float, float, int], ...]
    consensus: tuple[Statement, ...]
    divisive: tuple[Statement, ...]


@dataclass(frozen=True)
class Matrix:
    rows: tuple[str, ...]  # theme titles
    columns: tuple[str, ...]  # principle ids
    values: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Method:
    run_id: int
    finished_at: str
    finished_iso: str
    parameters: tuple[tuple[str, str], ...]
    versions: tuple[tuple[str, str], ...]
    fingerprint: str
    n_contributions: int
    n_votes: int
    n_participants: int
    limits: tuple[str, ...] = LIMITS


@dataclass(frozen=True)
class AnnexEntry:
    theme: str
    idea: str
    contribution_ids: tuple[int, ...]


@dataclass(frozen=True)
class ContributionRow:
    """One analysed contribution and where the synthesis counts it: the data behind every figure."""

    contribution_id: int
    url: str
    day: str  # ISO date of submission
    channel: str
    theme: str
    idea: str
    principles: tuple[str, ...]
    agree: int
    disagree: int
    passes: int


@dataclass(frozen=True)
class Synthesis:
    slug: str
    title: str
    question: str
    summary: str
    url: str
    opens_on: str
    closes_on: str
    scope: str | None  # None: the whole consultation; else the theme's title
    scope_key: str | None
    run_id: int
    run_date: str
    contributions: int  # published contributions analysed (in scope)
    participants: int
    votes: int
    key_figures: tuple[tuple[str, str], ...]
    participation: tuple[tuple[str, int], ...]  # (period, contributions)
    participation_unit: str  # "jour" or "semaine"
    channels: tuple[Figure, ...]
    moderation: tuple[Figure, ...]
    themes: tuple[ThemeSection, ...]
    principles: tuple[Figure, ...]
    matrix: Matrix
    opinions: Opinions | None
    annex: tuple[AnnexEntry, ...]
    method: Method
    rows: tuple[ContributionRow, ...] = ()
    agreement: Tally = field(default_factory=Tally)


class NoResults(Exception):
    """The run has no results to build a synthesis from (or the theme asked for is not in it)."""


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(value: datetime | None) -> date | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()


def _french_date(value: datetime | date | None) -> str:
    if value is None:
        return ""
    value = _day(value) if isinstance(value, datetime) else value
    months = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
    return f"{value.day} {months[value.month - 1]} {value.year}"


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


class _Builder:
    """Gathers what the run stored and what the taxonomy says; one instance per synthesis."""

    def __init__(self, session: Session, run: AnalysisRun, links: PublicLinks):
        self.session = session
        self.run = run
        self.links = links
        self.consultation = session.get(Consultation, run.consultation_id)
        self.results: RunResults = published_only(session=session, results=load_run_results(session=session, run=run))
        self.rows = {row.contribution_id: row for row in self.results.contributions}
        self.published = {cid for cid, row in self.rows.items() if row.status == ContributionStatus.PUBLISHED}
        self.principles = {p.id: p for p in session.exec(select(Principle).order_by(Principle.number))}
        self.reference = {t.id: t for t in session.exec(select(Theme))}
        self.contributions = self._load_contributions(self.published)
        self._texts: dict[int, tuple[str, str]] = {}
        self.working_labels = False  # set when a principle's working wording (not verified) is shown

    def _load_contributions(self, ids: set[int]) -> dict[int, Contribution]:
        found: dict[int, Contribution] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), 900):
            chunk = ordered[start : start + 900]
            for contribution in self.session.exec(select(Contribution).where(Contribution.id.in_(chunk))):
                found[contribution.id] = contribution
        return found

    # -- texts ---------------------------------------------------------------------------------------------------

    def masked(self, ids: list[int]) -> None:
        """Screen the titles and bodies of `ids` once (batched), keeping the result for quotes and statements."""
        todo = [cid for cid in dict.fromkeys(ids) if cid not in self._texts and cid in self.contributions]
        if not todo:
            return
        texts = [self.contributions[cid].title for cid in todo] + [self.contributions[cid].body for cid in todo]
        masked = mask_personal_data(texts)
        for i, cid in enumerate(todo):
            self._texts[cid] = (masked[i], masked[len(todo) + i])

    def title(self, cid: int) -> str:
        self.masked([cid])
        return self._texts[cid][0] if cid in self._texts else ""

    def quote(self, cid: int) -> Quote:
        self.masked([cid])
        title, body = self._texts[cid]
        return Quote(cid, self.links.contribution(cid), title, body)

    # -- figures -------------------------------------------------------------------------------------------------

    def tally(self, ids) -> Tally:
        agree = disagree = passes = 0
        for cid in ids:
            row = self.rows.get(cid)
            counts = _votes_of(row, self.contributions.get(cid))
            agree, disagree, passes = agree + counts[0], disagree + counts[1], passes + counts[2]
        return Tally(agree, disagree, passes)

    def principle_figures(self, ids: list[int]) -> tuple[Figure, ...]:
        members: dict[str, list[int]] = defaultdict(list)
        for cid in ids:
            for label in self.rows[cid].principles if cid in self.rows else []:
                members[label["id"]].append(cid)
        return tuple(
            Figure(
                pid,
                self._principle_label(pid),
                len(members[pid]),
                _share(len(members[pid]), len(ids)),
                tuple(sorted(members[pid])),
            )
            for pid in sorted(members, key=lambda p: (-len(members[p]), p))
        )

    def _principle_label(self, pid: str) -> str:
        """ "P07 — wording"; a working wording (official French not verified) is marked with an asterisk."""
        principle = self.principles.get(pid)
        if principle is None:
            return pid
        if principle.verified_fr:
            return f"{pid} — {principle.label_fr}"
        self.working_labels = True
        return f"{pid} — {WORKING_MARK.sub('', principle.label_fr)} *"

    def statement(self, item: dict, direction: str | None = None, group_agree=()) -> Statement:
        cid = int(item["contribution_id"])
        return Statement(
            contribution_id=cid,
            url=self.links.contribution(cid),
            title=self.title(cid),
            direction=direction or item.get("direction", ""),
            agree=int(item.get("n_agree", 0)),
            disagree=int(item.get("n_disagree", 0)),
            seen=int(item.get("n_seen", 0)),
            group_agree=tuple(float(r) for r in group_agree),
        )

    def divisive(self, item: dict) -> Statement:
        cid = int(item["contribution_id"])
        agree, disagree, passes = _votes_of(self.rows.get(cid), self.contributions.get(cid))
        return Statement(
            contribution_id=cid,
            url=self.links.contribution(cid),
            title=self.title(cid),
            direction="divisive",
            agree=agree,
            disagree=disagree,
            seen=agree + disagree + passes,
            group_agree=tuple(float(r) for r in item.get("agree_ratios", ())),
        )


def _votes_of(row: RunContribution | None, contribution: Contribution | None) -> tuple[int, int, int]:
    """Votes counted when the run read the data; runs stored before those counts existed fall back to today's."""
    if row is not None and row.agree_count is not None:
        return row.agree_count, row.disagree_count or 0, row.pass_count or 0
    if contribution is None:
        return 0, 0, 0
    return contribution.agree_count, contribution.disagree_count, contribution.pass_count


def _distinctive_terms(terms: list[str], reference_label: str, count: int = 3) -> list[str]:
    """The theme's first keywords that tell it apart from its reference theme's wording: words the wording already
    holds and very short words (« ans », « IA » stay only when nothing else is left) add nothing to a title."""
    wording = reference_label.casefold()
    kept = [t for t in terms if t.casefold() not in wording and len(t) > 3]
    return (kept or list(terms))[:count]


def _theme_titles(themes: list[ThemeResult], reference: dict[str, Theme]) -> dict[str, tuple[str, str]]:
    """(title, short title) per theme: its reference theme's wording, with its own words when two share it."""
    uses = Counter(t.reference_theme_id for t in themes if t.reference_theme_id in reference)
    titles = {}
    for theme in themes:
        found = reference.get(theme.reference_theme_id)
        words = ", ".join(_distinctive_terms(theme.terms, found.label_fr if found else ""))
        if found is not None:
            label, short = found.label_fr, found.short_fr or found.label_fr
            if uses[theme.reference_theme_id] > 1:
                label, short = f"{label} : {words}", f"{short} : {words}"
            titles[theme.key] = (label, short)
        elif theme.label:
            # Outside the reference themes (a consultation on another subject): the theme's own label, a phrase
            # quoted from its texts (« transports en commun »), reads better than « Autres sujets ».
            label = theme.label[:1].upper() + theme.label[1:]
            others = ", ".join(_distinctive_terms(theme.terms, theme.label))
            titles[theme.key] = (f"{label} : {others}" if others else label, label)
        else:
            titles[theme.key] = (f"Autres sujets : {words}", f"Autres : {words}")
    return titles


def build_synthesis(
    *, session: Session, run: AnalysisRun, theme_key: str | None = None, links: PublicLinks | None = None
) -> Synthesis:
    """The synthesis of `run`'s consultation (or of one of its themes); see the module docstring."""
    builder = _Builder(session, run, links or public_links())
    results = builder.results
    titles = _theme_titles(results.themes, builder.reference)
    themes = [t for t in results.themes if theme_key is None or t.key == theme_key]
    if theme_key is not None and not themes:
        raise NoResults(f"run {run.id} has no theme {theme_key!r}")
    in_scope = sorted(
        builder.published
        if theme_key is None
        else {cid for t in themes for cid in t.contribution_ids} & builder.published
    )
    scope_ids = set(in_scope)
    opinions = _opinions(builder, scope_ids if theme_key else None)
    total = len(in_scope)
    builder.masked([v["contribution_id"] for t in themes for v in t.verbatims[:N_VERBATIMS]])
    sections = tuple(_section(builder, theme, *titles[theme.key], total, opinions) for theme in themes)
    principles = builder.principle_figures(in_scope)
    matrix = _matrix(builder, sections, principles)
    participation, unit = _participation(builder, in_scope)
    tally = builder.tally(in_scope)
    participants = _participants(builder, in_scope, whole=theme_key is None)
    consultation = builder.consultation
    channels = _channels(builder, in_scope)
    key_figures = (
        ("Contributions publiées analysées", _fmt(total)),
        ("Participants (auteurs et votants)" if theme_key is None else "Auteurs", _fmt(participants)),
        ("Votes exprimés", _fmt(tally.total)),
        ("Thèmes", _fmt(len(sections))),
        ("Idées", _fmt(sum(len(s.ideas) for s in sections))),
        ("Groupes d'opinion", _fmt(len(opinions.groups)) if opinions else "—"),
    )
    return Synthesis(
        slug=consultation.slug,
        title=consultation.title,
        question=consultation.question,
        summary=consultation.summary,
        url=builder.links.consultation(consultation.slug),
        opens_on=_french_date(consultation.opens_at),
        closes_on=_french_date(consultation.closes_at),
        scope=titles[theme_key][0] if theme_key else None,
        scope_key=theme_key,
        run_id=run.id,
        run_date=_french_date(run.finished_at),
        contributions=total,
        participants=participants,
        votes=tally.total,
        key_figures=key_figures,
        participation=participation,
        participation_unit=unit,
        channels=channels,
        moderation=_moderation(builder) if theme_key is None else (),
        themes=sections,
        principles=principles,
        matrix=matrix,
        opinions=opinions,
        annex=tuple(
            AnnexEntry(section.title, idea.name, idea.contribution_ids)
            for section in sections
            for idea in (*section.ideas, _rest(section))
            if idea.contribution_ids
        ),
        method=_method(run, builder.working_labels),
        rows=_rows(builder, in_scope, sections),
        agreement=tally,
    )


def _rows(builder: _Builder, ids: list[int], sections: tuple[ThemeSection, ...]) -> tuple[ContributionRow, ...]:
    theme_of, idea_of = {}, {}
    for section in sections:
        for cid in section.contribution_ids:
            theme_of[cid] = section.title
        for idea in section.ideas:
            for cid in idea.contribution_ids:
                idea_of[cid] = idea.name
    rows = []
    for cid in ids:
        contribution = builder.contributions[cid]
        agree, disagree, passes = _votes_of(builder.rows.get(cid), contribution)
        rows.append(
            ContributionRow(
                contribution_id=cid,
                url=builder.links.contribution(cid),
                day=str(_day(contribution.created_at) or ""),
                channel=contribution.channel,
                theme=theme_of.get(cid, ""),
                idea=idea_of.get(cid, ""),
                principles=tuple(sorted(label["id"] for label in builder.rows[cid].principles)),
                agree=agree,
                disagree=disagree,
                passes=passes,
            )
        )
    return tuple(rows)


def _fmt(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _section(
    builder: _Builder, theme: ThemeResult, title: str, short_title: str, total: int, opinions: Opinions | None
) -> ThemeSection:
    ids = sorted(set(theme.contribution_ids) & builder.published)
    members = set(ids)
    ideas = []
    for idea in theme.ideas:
        idea_ids = tuple(sorted(set(idea.contribution_ids) & builder.published))
        quotes = tuple(builder.quote(v["contribution_id"]) for v in idea.verbatims[:2])
        name = quotes[0].title if quotes else ", ".join(idea.terms[:3])
        ideas.append(
            Idea(
                idea.key, name, tuple(idea.terms[:6]), len(idea_ids), _share(len(idea_ids), len(ids)), idea_ids, quotes
            )
        )
    ideas.sort(key=lambda i: (-i.count, i.key))
    reference = builder.reference.get(theme.reference_theme_id or "")
    consensus = tuple(s for s in opinions.consensus if s.contribution_id in members) if opinions else ()
    divisive = tuple(s for s in opinions.divisive if s.contribution_id in members) if opinions else ()
    group_statements = (
        tuple(
            (group.name, tuple(s for s in group.representative if s.contribution_id in members))
            for group in opinions.groups
        )
        if opinions
        else ()
    )
    return ThemeSection(
        key=theme.key,
        title=title,
        short_title=short_title,
        reference_theme_id=theme.reference_theme_id,
        reference_label=reference.label_fr if reference else None,
        terms=tuple(theme.terms[:8]),
        count=len(ids),
        share=_share(len(ids), total),
        contribution_ids=tuple(ids),
        ideas=tuple(ideas),
        quotes=tuple(builder.quote(v["contribution_id"]) for v in theme.verbatims[:N_VERBATIMS]),
        summary=tuple(mask_personal_data(list(theme.summary[:3]))),
        votes=builder.tally(ids),
        principles=builder.principle_figures(ids)[:6],
        consensus=consensus[:N_STATEMENTS],
        divisive=divisive[:N_STATEMENTS],
        group_statements=tuple((name, found[:3]) for name, found in group_statements if found),
    )


def _rest(section: ThemeSection) -> Idea:
    """The theme's contributions in none of its ideas, so that the annex accounts for every one."""
    placed = {cid for idea in section.ideas for cid in idea.contribution_ids}
    rest = tuple(cid for cid in section.contribution_ids if cid not in placed)
    return Idea("", "Sans idée particulière", (), len(rest), 0.0, rest, ())


def _opinions(builder: _Builder, scope: set[int] | None) -> Opinions | None:
    results = builder.results
    if not results.opinion_groups:
        return None
    total = sum(g.size for g in results.opinion_groups) or 1

    def keep(items):
        return [item for item in items if scope is None or int(item["contribution_id"]) in scope]

    groups = tuple(
        OpinionGroup(
            name=f"Groupe {GROUP_NAMES[g.number % len(GROUP_NAMES)]}",
            size=g.size,
            share=_share(g.size, total),
            center=(float(g.center[0]), float(g.center[1])),
            representative=tuple(builder.statement(item) for item in keep(g.representative)[:N_STATEMENTS]),
        )
        for g in results.opinion_groups
    )
    opinions = results.opinions
    consensus = keep(opinions.get("consensus", []))
    divisive = keep(opinions.get("divisive", []))
    return Opinions(
        n_participants=int(opinions.get("n_participants", 0)),
        n_grouped=int(opinions.get("n_grouped", 0)),
        groups=groups,
        points=tuple((float(x), float(y), int(g)) for x, y, g in opinions.get("points", [])),
        consensus=tuple(builder.statement(item) for item in consensus[: 2 * N_STATEMENTS]),
        divisive=tuple(builder.divisive(item) for item in divisive[: 2 * N_STATEMENTS]),
    )


def _matrix(builder: _Builder, sections, principles) -> Matrix:
    columns = tuple(sorted(f.key for f in principles))
    values = []
    for section in sections:
        counts = Counter(label["id"] for cid in section.contribution_ids for label in builder.rows[cid].principles)
        values.append(tuple(counts.get(pid, 0) for pid in columns))
    return Matrix(tuple(s.title for s in sections), columns, tuple(values))


def _participation(builder: _Builder, ids: list[int]) -> tuple[tuple[tuple[str, int], ...], str]:
    days = sorted(d for d in (_day(builder.contributions[cid].created_at) for cid in ids) if d)
    if not days:
        return (), "jour"
    span = (days[-1] - days[0]).days + 1
    if span <= DAILY_UP_TO:
        counts = Counter(days)
        series = []
        for offset in range(span):
            day = date.fromordinal(days[0].toordinal() + offset)
            series.append((f"{day.day:02d}/{day.month:02d}", counts.get(day, 0)))
        return tuple(series), "jour"
    weeks = Counter(date.fromordinal(d.toordinal() - d.weekday()) for d in days)
    first, last = min(weeks), max(weeks)
    series = []
    week = first
    while week <= last:
        series.append((f"{week.day:02d}/{week.month:02d}/{week.year % 100:02d}", weeks.get(week, 0)))
        week = date.fromordinal(week.toordinal() + 7)
    return tuple(series), "semaine"


CHANNEL_LABELS = {"web": "Site web", "chat": "Assistant conversationnel", "import": "Import (ateliers, autres canaux)"}
STATUS_LABELS = {
    ContributionStatus.PUBLISHED: "Publiées",
    ContributionStatus.PENDING: "En attente de modération",
    ContributionStatus.REJECTED: "Refusées",
    ContributionStatus.DUPLICATE: "Doublons fusionnés",
    ContributionStatus.HIDDEN: "Masquées",
    ContributionStatus.WITHDRAWN: "Retirées par leur auteur",
}


def _channels(builder: _Builder, ids: list[int]) -> tuple[Figure, ...]:
    members: dict[str, list[int]] = defaultdict(list)
    for cid in ids:
        members[builder.contributions[cid].channel].append(cid)
    return tuple(
        Figure(channel, CHANNEL_LABELS.get(channel, channel), len(found), _share(len(found), len(ids)), tuple(found))
        for channel, found in sorted(members.items(), key=lambda item: (-len(item[1]), item[0]))
    )


def _snapshot(builder: _Builder) -> dict:
    """The consultation as the run saw it (consult.analysis.runs.consultation_snapshot); older runs: today's."""
    stored = builder.run.summary.get("snapshot")
    if stored is None:
        stored = consultation_snapshot(session=builder.session, consultation_id=builder.consultation.id)
    return stored


def _moderation(builder: _Builder) -> tuple[Figure, ...]:
    """Contributions by status (counts only: unpublished ones are never shown)."""
    stored = _snapshot(builder)["statuses"]
    total = sum(stored.values())
    return tuple(
        Figure(status, STATUS_LABELS[status], int(stored[status]), _share(int(stored[status]), total))
        for status in STATUS_LABELS
        if stored.get(status)
    )


def _participants(builder: _Builder, ids: list[int], whole: bool) -> int:
    """People who took part: for the whole consultation, authors and voters; for a theme, its authors."""
    if whole:
        return int(_snapshot(builder)["people"])
    return len({builder.contributions[cid].author_id for cid in ids})


PARAMETER_LABELS = {"n_themes": "Nombre de thèmes demandé", "random_state": "Graine du hasard (reproductibilité)"}
VERSION_LABELS = {"consult": "Plateforme (consult)", "python": "Python"}


def _method(run: AnalysisRun, working_labels: bool) -> Method:
    versions = dict(run.versions or {})
    models = versions.pop("label_models", {}) or {}
    versions.pop("implementation", None)
    shown = tuple((VERSION_LABELS.get(key, key), str(value)) for key, value in sorted(versions.items()))
    shown += tuple(
        (f"Modèle appris ({key})", str(value) if value else "aucun : lexique seul")
        for key, value in sorted(models.items())
    )
    parameters = tuple(
        (PARAMETER_LABELS.get(key, key), "automatique" if value == "auto" else str(value))
        for key, value in sorted((run.parameters or {}).items())
    )
    return Method(
        run_id=run.id,
        finished_at=_french_date(run.finished_at),
        finished_iso=_aware(run.finished_at).isoformat() if run.finished_at else "",
        parameters=parameters,
        versions=shown,
        fingerprint=run.fingerprint,
        n_contributions=run.n_contributions,
        n_votes=run.n_votes,
        n_participants=run.n_participants,
        limits=(THEME_NOTE, *LIMITS, *((WORKING_NOTE,) if working_labels else ())),
    )
