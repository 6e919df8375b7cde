"""Full-text search over contributions: one query language, one match and one relevance score per database.

The HTML list and the JSON API both filter and rank through `matches` and `relevance`, so the same query
returns the same contributions in the same order on the site and in the API. What a citizen types follows the
usual web search conventions (PostgreSQL's `websearch_to_tsquery`): words must all appear, `"a phrase"` must
appear as written, `-word` must not appear, `a or b` wants either; accents and case never matter.

- PostgreSQL: `contribution.search_vector` (see consult.fulltext) `@@ websearch_to_tsquery('consult_french', q)`,
  ranked by `ts_rank` (title words weigh more than body words); French stemming (« développer » finds
  « développement »).
- SQLite: the FTS5 table `contribution_fts`, ranked by BM25 (title weighted likewise). FTS5 has no French
  stemmer: a word of 6 to 20 letters, put in the singular, is searched as a prefix, which has its FTS5 prefix
  index (« donnée » finds « données », « consultation » finds « consultations »); shorter and longer words with
  their singular or plural (« loi » / « lois », « hôpital » / « hôpitaux »); `word*` asks for a prefix. French
  function words are left out, as PostgreSQL's French configuration does. (A prefix is one FTS5 phrase, so
  every form of the word shares one BM25 weight; separate variants would favour whichever form is rarer.)
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from markupsafe import Markup, escape
from sqlalchemy import Double, cast, column, func, literal_column, select, table, text
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from consult.fulltext import PREFIX_LENGTHS, TEXT_SEARCH_CONFIG
from consult.models import Contribution

# The FTS5 table as SQLAlchemy sees it (it is not in the metadata: see consult.fulltext).
FTS = table("contribution_fts", column("rowid"))
_SEARCH_VECTOR = literal_column("contribution.search_vector")
# Title and body weights: PostgreSQL's default ts_rank weights are 1.0 for A (title) and 0.4 for B (body).
_BM25 = "bm25(contribution_fts, 2.5, 1.0)"

# French function words left out of a search (my own list of articles, pronouns, prepositions, conjunctions
# and auxiliary forms): they occur in nearly every text and would only slow the query down.
STOP_WORDS = frozenset(
    """a au aux avec ce ces cet cette c ça d dans de des du elle elles en est et eu il ils j je l la le les leur
    leurs lui m ma mais me mes moi mon n ne ni nos notre nous on ont ou où par pas pour qu que qui s sa sans se
    ses son sont sur t ta te tes toi ton tu un une vos votre vous y été être avoir ai as avons avez était
    étaient sera seront fait cela""".split()
)

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(word: str) -> str:
    """Lower-case, without accents: how both databases compare words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")


# Below this length a prefix catches unrelated words ("port" -> "portable", "prix" -> "pri" -> "priorité").
# Above the longest FTS5 prefix index, a prefix would be a slow merge of doclists: such long words are searched
# with their singular and plural only (« anticonstitutionnelle » / « anticonstitutionnelles »).
PREFIX_MIN, PREFIX_MAX = min(PREFIX_LENGTHS), max(PREFIX_LENGTHS)


def number_variants(word: str) -> tuple[str, ...]:
    """The word and its French singular or plural (folded): "donnee" -> ("donnee", "donnees")."""
    if len(word) <= 3:
        return (word,)
    if word.endswith("aux"):
        return (word, word[:-3] + "al")
    if word.endswith(("s", "x")):
        return (word, word[:-1])
    if word.endswith("al"):
        return (word, word + "s", word[:-2] + "aux")
    if word.endswith(("eau", "au", "eu")):
        return (word, word + "x")
    return (word, word + "s")


@dataclass(frozen=True)
class Term:
    """One thing to find: a word (with its number variants), a prefix (`word*`) or a phrase (several words)."""

    words: tuple[str, ...]  # folded
    prefix: bool = False

    def forms(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(exact words, prefixes) that this single-word term matches."""
        word = self.words[0]
        if self.prefix:
            return (), (word,)
        variants = number_variants(word)
        singular = variants[-1] if word.endswith(("s", "x")) and len(variants) > 1 else word
        if PREFIX_MIN <= len(singular) <= PREFIX_MAX:
            return tuple(v for v in variants if not v.startswith(singular)), (singular,)
        return variants, ()

    def fts(self) -> str:
        if len(self.words) > 1:
            return '"' + " ".join(self.words) + '"'
        exact, prefixes = self.forms()
        return " OR ".join([f'"{p}"*' for p in prefixes] + [f'"{w}"' for w in exact])


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: groups that must all match (each group: alternatives joined by « or »), terms to exclude."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    def fts(self) -> str:
        """The FTS5 MATCH expression (every word quoted, so nothing typed is read as FTS5 syntax)."""
        expression = " AND ".join("(" + " OR ".join(term.fts() for term in group) + ")" for group in self.groups)
        for term in self.excluded:
            expression = f"({expression}) NOT ({term.fts()})"
        return expression

    def highlight_words(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """Folded words to mark in a text (with their number variants), and prefixes."""
        words, prefixes = set(), []
        for group in self.groups:
            for term in group:
                if len(term.words) > 1:
                    words.update(term.words)
                    continue
                exact, starts = term.forms()
                words.update(exact)
                prefixes.extend(starts)
        return frozenset(words), tuple(prefixes)


def parse(q: str) -> SearchQuery:
    """Parse what a citizen typed; words that cannot be searched (function words, punctuation) are dropped."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    for match in _TOKEN.finditer(q):
        negated = bool(match.group(1) or match.group(3))
        raw = match.group(2) if match.group(2) is not None else match.group(4)
        if match.group(2) is None and fold(raw) == "or" and not negated:
            pending_or = bool(groups)
            continue
        term = _term(raw, phrase=match.group(2) is not None)
        if term is None:
            continue
        if negated:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    return SearchQuery(text=q, groups=tuple(tuple(g) for g in groups), excluded=tuple(excluded))


def _term(raw: str, *, phrase: bool) -> Term | None:
    words = [fold(w) for w in _WORD.findall(raw)]
    if phrase:
        words = [w for w in words if w]
        return Term(tuple(words)) if words else None
    prefix = raw.endswith("*")
    # A typed word may hold punctuation ("e-santé", "l'hôpital"): its parts are separate words, all required.
    words = [w for w in words if w not in STOP_WORDS and len(w) > 1]
    if not words:
        return None
    if len(words) > 1:
        return Term(tuple(words))
    return Term((words[0],), prefix=prefix)


# ------------------------------------------------------------------------------
# SQL


def websearch(q: str) -> ColumnElement:
    return func.websearch_to_tsquery(literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig"), q)


# Ranking computes a score for every candidate: a word found in most contributions would make the relevance order
# cost a full scan at 100,000 contributions. Only the most recent CANDIDATES matches that meet the list's filters
# (consultation, status, theme, principle) are ranked (such a word carries almost no relevance signal anyway); the
# other sorts still see every match.
CANDIDATES = 2000


class Searched(NamedTuple):
    """A list statement restricted to a query's matches: `score` (higher is more relevant) is set when ranked, and
    `id` is the contribution id column to order and page on (the ranked candidates' own when ranked)."""

    statement: Select
    score: ColumnElement | None
    id: ColumnElement


def apply(statement: Select, query: SearchQuery, dialect: str, *, ranked: bool = False) -> Searched:
    """Restrict `statement`, a select of Contribution.id with every other condition already in it, to `query`.

    With `ranked`, the result selects from the CANDIDATES most recent matches that meet those conditions, with their
    score, so that the relevance order never joins the candidates back to the contribution table (PostgreSQL would
    sometimes hash-join them with every row of the consultation: 26 ms instead of 8). Nothing matches an empty query.
    """
    if dialect == "postgresql":
        tsquery = websearch(query.text)
        matches = _SEARCH_VECTOR.op("@@")(tsquery)
        if not ranked:
            return Searched(statement.where(matches), None, Contribution.id)
        # ts_rank is a float4: as a float8 its value round-trips exactly through a keyset cursor.
        score = cast(func.ts_rank(_SEARCH_VECTOR, tsquery), Double)
        candidates = statement.add_columns(score.label("score")).where(matches).order_by(Contribution.id.desc())
    else:
        if query.empty:
            return Searched(statement.where(text("0 = 1")), None, Contribution.id)
        matches = text("contribution_fts MATCH :fts_query").bindparams(fts_query=query.fts())
        statement = statement.join(FTS, FTS.c.rowid == Contribution.id).where(matches)
        if not ranked:
            return Searched(statement, None, Contribution.id)
        # Ordered by the FTS5 rowid, FTS5 reads its doclists newest first and stops at the limit.
        candidates = statement.add_columns(literal_column(f"-{_BM25}").label("score")).order_by(FTS.c.rowid.desc())
    candidates = candidates.limit(CANDIDATES).subquery("ranked")
    return Searched(select(candidates.c.id), candidates.c.score, candidates.c.id)


# ------------------------------------------------------------------------------
# Highlighting (in Python, the same on both databases; the text is escaped before marks are added)


def _folding_classes() -> dict[str, str]:
    """For each folded letter, a regex class of the characters that fold to it (« e » -> « [EeÈÉÊËèéêë…] »)."""
    found: dict[str, set[str]] = {}
    for code in range(0x250):  # Latin-1 and Latin Extended-A/B: every accented letter French text uses
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isalnum():
            found.setdefault(folded, {folded}).add(char)
    return {letter: "[" + "".join(sorted(map(re.escape, chars))) + "]" for letter, chars in found.items()}


_FOLDING = _folding_classes()
_LIGATURES = {"oe": "œŒ", "ae": "æÆ"}  # fold() turns these into two letters


def _folded_pattern(word: str) -> str:
    """A pattern matching every spelling of a folded word in the original text (accents, case, ligatures)."""
    out, position = [], 0
    while position < len(word):
        pair = word[position : position + 2]
        if pair in _LIGATURES:
            out.append(f"(?:{_FOLDING[pair[0]]}{_FOLDING[pair[1]]}|[{_LIGATURES[pair]}])")
            position += 2
            continue
        out.append(_FOLDING.get(word[position], re.escape(word[position])))
        position += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _marker(query: SearchQuery) -> re.Pattern[str] | None:
    """One regex finding the searched words (whole words, or words starting with a prefix) in unfolded text.

    Folding each word of 20 cards in Python (~400 words a page) took longer than the whole list page's SQL.
    """
    words, prefixes = query.highlight_words()
    alternatives = [_folded_pattern(w) + r"(?!\w)" for w in sorted(words)]
    alternatives += [_folded_pattern(p) + r"\w*" for p in prefixes]
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


def highlight(value: str, query: SearchQuery | None) -> Markup:
    """`value`, HTML-escaped, with the searched words wrapped in <mark>."""
    marker = _marker(query) if query is not None and not query.empty else None
    if marker is None:
        return escape(value)
    out, position = [], 0
    for match in marker.finditer(value):
        out.append(escape(value[position : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group())
        position = match.end()
    out.append(escape(value[position:]))
    return Markup("").join(out)


def excerpt(value: str, query: SearchQuery | None, length: int = 280) -> str:
    """At most `length` characters of `value`, around its first searched word when that lies further on."""
    if len(value) <= length:
        return value
    start = 0
    marker = _marker(query) if query is not None and not query.empty else None
    match = marker.search(value) if marker is not None else None
    if match is not None and match.end() > length - 20:
        start = _word_start(value, max(0, match.start() - length // 3))
    end = min(len(value), start + length)
    if end < len(value):
        end = value.rfind(" ", start, end) if " " in value[start:end] else end
    return ("…" if start else "") + value[start:end].strip() + ("…" if end < len(value) else "")


def _word_start(value: str, position: int) -> int:
    space = value.find(" ", position)
    return position if space == -1 else space + 1
