"""The bridge to the nlp library: the only module of consult that imports nlp.

Personal data detection before publication, and similar contributions while a citizen types.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from consult.i18n import lazy_gettext as _l
from consult.models import Contribution, utcnow
from consult.visibility import published_contributions
from nlp.personal_data import PLACEHOLDERS, detect, detect_many, redact
from nlp.similar import SimilarityIndex

# Below this cosine, "similar" contributions are noise for a reader (measured on the demo content).
SIMILARITY_FLOOR = 0.18

TYPE_LABELS = {
    "email": _l("adresse électronique"),
    "phone": _l("numéro de téléphone"),
    "nir": _l("numéro de sécurité sociale"),
    "iban": _l("coordonnées bancaires (IBAN)"),
    "address": _l("adresse postale"),
    "birth_date": _l("date de naissance"),
    "person": _l("nom de personne"),
    "health": _l("information sur la santé d'une personne"),
}


@dataclass(frozen=True)
class PersonalData:
    """What was found in a text: the spans' kinds in French, and the text with them masked."""

    kinds: list[str]
    sensitive: bool
    redacted: str


def find_personal_data(text: str) -> PersonalData | None:
    """Return the personal data found in `text` (RGPD; health is art. 9 sensitive data), or None."""
    return _personal_data(text, detect(text))


def find_personal_data_many(texts: Sequence[str]) -> list[PersonalData | None]:
    """find_personal_data over many texts at once (names are looked for in batches): for imports."""
    return [_personal_data(text, spans) for text, spans in zip(texts, detect_many(texts), strict=True)]


def _personal_data(text: str, spans) -> PersonalData | None:
    if not spans:
        return None
    kinds = sorted({TYPE_LABELS.get(span.type, span.type) for span in spans})
    return PersonalData(kinds=kinds, sensitive=any(s.sensitive for s in spans), redacted=redact(text, spans))


@dataclass
class _CachedIndex:
    index: SimilarityIndex
    max_id: int
    size: int
    built_at: datetime


class SimilarIndexCache:
    """One similarity index per consultation, kept in memory and refreshed as contributions change.

    New contributions are appended (`add`); an edit or status change of an indexed one (its
    `updated_at` moves) rebuilds the index. Vote counters do not touch `updated_at`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[int, _CachedIndex] = {}

    def clear(self) -> None:
        with self._lock:
            self._indexes.clear()

    def get(self, *, session: Session, consultation_id: int) -> SimilarityIndex | None:
        published = (Contribution.consultation_id == consultation_id) & published_contributions()
        count = session.exec(select(func.count()).where(published)).one()
        if not count:
            return None
        with self._lock:
            cached = self._indexes.get(consultation_id)
            if cached is not None and not self._edited_since(session, consultation_id, cached):
                if count == cached.size:
                    return cached.index
                rows = session.exec(_texts(published & (Contribution.id > cached.max_id))).all()
                if cached.size + len(rows) == count:
                    cached.index.add([text for _, text in rows], [cid for cid, _ in rows])
                    cached.max_id, cached.size = rows[-1][0], count
                    return cached.index
            built_at = utcnow()
            rows = session.exec(_texts(published)).all()
            # Dropping frequent features speeds queries on large corpora but empties small ones.
            index = SimilarityIndex(max_df=0.2 if len(rows) >= 1000 else 1.0).fit(
                [text for _, text in rows], [cid for cid, _ in rows]
            )
            self._indexes[consultation_id] = _CachedIndex(index, rows[-1][0], len(rows), built_at)
            return index

    @staticmethod
    def _edited_since(session: Session, consultation_id: int, cached: _CachedIndex) -> bool:
        changed = session.exec(
            select(func.count()).where(
                Contribution.consultation_id == consultation_id,
                Contribution.id <= cached.max_id,
                Contribution.updated_at > cached.built_at,
            )
        ).one()
        return changed > 0


def _texts(condition):
    return (
        select(Contribution.id, Contribution.title + "\n" + Contribution.body)
        .where(condition)
        .order_by(Contribution.id)
    )


similar_indexes = SimilarIndexCache()


def similar_contributions(
    *, session: Session, consultation_id: int, text: str, k: int = 5, exclude_id: int | None = None
) -> list[tuple[Contribution, float]]:
    """Return up to `k` published contributions of the consultation most similar to `text`, with cosines."""
    if len(text.strip()) < 15:
        return []
    index = similar_indexes.get(session=session, consultation_id=consultation_id)
    if index is None:
        return []
    hits = [
        (cid, score) for cid, score in index.query(text, k=k + 1) if score >= SIMILARITY_FLOOR and cid != exclude_id
    ][:k]
    if not hits:
        return []
    ids = [cid for cid, _ in hits]
    # The index may be a few seconds behind a status change: ask the database what is still published.
    rows = {
        c.id: c for c in session.exec(select(Contribution).where(Contribution.id.in_(ids), published_contributions()))
    }
    return [(rows[cid], score) for cid, score in hits if cid in rows]


def span_label(kind: str) -> str:
    """What a span of this kind holds, in words (a kind the detector does not know was chosen by a moderator)."""
    return str(TYPE_LABELS.get(kind, _l("passage choisi par la modération")))


@dataclass(frozen=True)
class FoundSpan:
    """A piece of personal data in a text, for the moderators' redaction (offsets into that text)."""

    start: int
    end: int
    kind: str  # nlp type, or "manual" for a passage a moderator chose
    text: str
    sensitive: bool = False  # special category (RGPD art. 9: health)

    @property
    def label(self) -> str:
        return span_label(self.kind)


MANUAL_PLACEHOLDER = "[masqué]"


def personal_data_spans(text: str) -> list[FoundSpan]:
    """The personal-data spans of `text` as the detector finds them (deterministic: same text, same spans)."""
    return [FoundSpan(s.start, s.end, s.type, s.text, s.sensitive) for s in detect(text)]


def mask_spans(text: str, spans: list[FoundSpan]) -> str:
    """Replace each span by its placeholder ("[téléphone]"…, "[masqué]" for a passage chosen by hand)."""
    out, position = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < position:
            continue
        out.append(text[position : span.start])
        out.append(PLACEHOLDERS.get(span.kind, MANUAL_PLACEHOLDER))
        position = span.end
    out.append(text[position:])
    return "".join(out)
