"""Queries behind the public API: published data only, keyset pagination over the list indexes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, tuple_
from sqlmodel import Session, col, select

from consult.analysis.results import (
    AutomaticLabels,
    RunResults,
    automatic_labels,
    latest_run,
    load_run_results,
    published_only,
)
from consult.api.cursor import decode_cursor, encode_cursor
from consult.contributions import search
from consult.contributions.listing import page_rows
from consult.errors import ValidationFailed
from consult.models import (
    HUMAN_LABEL_SOURCES,
    Consultation,
    Contribution,
    ContributionPrinciple,
    Principle,
    Theme,
    User,
)
from consult.visibility import published_contributions

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_QUERY_LENGTH = 200

# Sort name -> (column, descending?). Every order ends with the id, newest first, so the keyset is total;
# each order matches one of the ix_contribution_list_* indexes (consultation_id, status, key, id [DESC]).
# "relevance" (the default when q is given) ranks the matches of q, as the HTML list does; without q it is "recent".
RELEVANCE = "relevance"
SORTS: dict[str, tuple[object, bool]] = {
    "recent": (Contribution.created_at, True),
    "agree": (Contribution.agree_count, True),
    "divisive": (Contribution.divisive_score, True),
    "consensus": (Contribution.consensus_score, True),
    # Fewest votes first and, among equals, the newest (as on the HTML list), so new ones get seen.
    "least_voted": (Contribution.vote_count, False),
}
_KEY_TYPES = {
    RELEVANCE: float,
    "recent": datetime,
    "agree": int,
    "divisive": float,
    "consensus": float,
    "least_voted": int,
}


@dataclass
class ContributionFilters:
    theme: str | None = None
    principle: str | None = None
    q: str | None = None
    sort: str = "recent"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass
class ContributionRow:
    contribution: Contribution
    consultation_slug: str
    author_pseudonym: str
    theme: Theme | None
    principles: list[tuple[Principle, str]]
    automatic: AutomaticLabels | None = None  # the machine's reading, shown apart from people's labels


@dataclass
class ContributionPage:
    items: list[ContributionRow]
    next_cursor: str | None


@dataclass
class ConsultationCounts:
    contributions: int
    votes: int
    comments: int
    participants: int


def list_consultations(*, session: Session) -> list[Consultation]:
    return list(session.exec(select(Consultation).order_by(col(Consultation.opens_at).desc(), Consultation.id)))


def count_consultation(*, session: Session, consultation: Consultation) -> ConsultationCounts:
    """Live counts over published contributions (votes, comments: the denormalised counters)."""
    row = session.exec(
        select(
            func.count(Contribution.id),
            func.coalesce(func.sum(Contribution.vote_count), 0),
            func.coalesce(func.sum(Contribution.comment_count), 0),
            func.count(func.distinct(Contribution.author_id)),
        ).where(Contribution.consultation_id == consultation.id, published_contributions())
    ).one()
    return ConsultationCounts(contributions=row[0], votes=int(row[1]), comments=int(row[2]), participants=row[3])


def validate_filters(*, session: Session, filters: ContributionFilters) -> None:
    """Raise ValidationFailed (French messages, keyed by parameter) for unusable parameters."""
    errors = {}
    if filters.sort not in SORTS and filters.sort != RELEVANCE:
        errors["sort"] = f"Tri inconnu « {filters.sort} » ; valeurs possibles : {', '.join([RELEVANCE, *SORTS])}."
    if not 1 <= filters.limit <= MAX_LIMIT:
        errors["limit"] = f"Le paramètre limit doit être un entier entre 1 et {MAX_LIMIT}."
    if filters.theme is not None and session.get(Theme, filters.theme) is None:
        errors["theme"] = f"Thème inconnu « {filters.theme} »."
    if filters.principle is not None and session.get(Principle, filters.principle) is None:
        errors["principle"] = f"Principe inconnu « {filters.principle} »."
    if filters.q is not None and len(filters.q) > MAX_QUERY_LENGTH:
        errors["q"] = f"La recherche est limitée à {MAX_QUERY_LENGTH} caractères."
    if errors:
        raise ValidationFailed(errors)


def list_contributions(
    *, session: Session, consultation: Consultation, filters: ContributionFilters
) -> ContributionPage:
    """Return one page of published contributions; ValidationFailed on bad parameters."""
    validate_filters(session=session, filters=filters)
    dialect = session.get_bind().dialect.name
    searched = search.parse(filters.q.strip()) if filters.q and filters.q.strip() else None
    ranked = filters.sort == RELEVANCE and searched is not None and (dialect == "postgresql" or not searched.empty)
    query = select(Contribution.id).where(Contribution.consultation_id == consultation.id, published_contributions())
    if filters.theme:
        query = query.where(Contribution.theme_id == filters.theme)
    if filters.principle:
        query = query.where(
            exists().where(
                ContributionPrinciple.contribution_id == Contribution.id,
                ContributionPrinciple.principle_id == filters.principle,
                ContributionPrinciple.source.in_(HUMAN_LABEL_SOURCES),
            )
        )
    score, id_column = None, Contribution.id
    if searched is not None:
        query, score, id_column = search.apply(query, searched, dialect, ranked=ranked)
    if score is not None:
        key_column, descending, key_type = score, True, float
    else:
        key_column, descending = SORTS["recent" if filters.sort == RELEVANCE else filters.sort]
        key_type = _KEY_TYPES["recent" if filters.sort == RELEVANCE else filters.sort]
    query = query.add_columns(key_column.label("sort_key"))
    if filters.cursor:
        try:
            key, last_id = decode_cursor(filters.cursor, sort=filters.sort, key_type=key_type)
        except ValueError:
            raise ValidationFailed({"cursor": "Curseur de pagination invalide ou d'un autre tri."}) from None
        if descending:
            query = query.where(tuple_(key_column, id_column) < (key, last_id))
        else:  # key ascending, id descending: no row-value comparison expresses that
            query = query.where((key_column > key) | ((key_column == key) & (id_column < last_id)))
    key_order = key_column.desc() if descending else key_column.asc()
    query = query.order_by(key_order, id_column.desc())
    # One extra row tells whether a next page exists without a COUNT.
    rows = page_rows(session, query.limit(filters.limit + 1), descending)
    has_more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    ids = [row[0].id for row in rows]
    principles = _principles_of(session=session, ids=ids)
    automatic = automatic_labels(session=session, contribution_ids=ids)
    items = [
        ContributionRow(c, consultation.slug, pseudonym, theme, principles.get(c.id, []), automatic.get(c.id))
        for c, pseudonym, theme, _ in rows
    ]
    next_cursor = None
    if has_more and rows:
        next_cursor = encode_cursor(filters.sort, rows[-1][3], rows[-1][0].id)
    return ContributionPage(items=items, next_cursor=next_cursor)


def get_contribution(*, session: Session, contribution_id: int) -> ContributionRow | None:
    """Return a published contribution with author pseudonym, theme and principles, or None."""
    row = session.exec(
        select(Contribution, Consultation.slug, User.pseudonym, Theme)
        .join(Consultation, Consultation.id == Contribution.consultation_id)
        .join(User, User.id == Contribution.author_id)
        .outerjoin(Theme, Theme.id == Contribution.theme_id)
        .where(Contribution.id == contribution_id, published_contributions())
    ).first()
    if row is None:
        return None
    contribution, slug, pseudonym, theme = row
    principles = _principles_of(session=session, ids=[contribution.id])
    automatic = automatic_labels(session=session, contribution_ids=[contribution.id])
    return ContributionRow(
        contribution, slug, pseudonym, theme, principles.get(contribution.id, []), automatic.get(contribution.id)
    )


def _principles_of(*, session: Session, ids: list[int]) -> dict[int, list[tuple[Principle, str]]]:
    if not ids:
        return {}
    result: dict[int, list[tuple[Principle, str]]] = {}
    rows = session.exec(
        select(ContributionPrinciple.contribution_id, ContributionPrinciple.source, Principle)
        .join(Principle, Principle.id == ContributionPrinciple.principle_id)
        .where(
            col(ContributionPrinciple.contribution_id).in_(ids),
            col(ContributionPrinciple.source).in_(HUMAN_LABEL_SOURCES),
        )
        .order_by(Principle.number, ContributionPrinciple.source)
    )
    for contribution_id, source, principle in rows:
        result.setdefault(contribution_id, []).append((principle, source))
    return result


def consultation_analysis(*, session: Session, consultation: Consultation) -> RunResults | None:
    """The latest successful analysis run of a consultation, restricted to contributions published now."""
    run = latest_run(session=session, consultation_id=consultation.id)
    if run is None:
        return None
    return published_only(session=session, results=load_run_results(session=session, run=run))
