"""The item panel: everything a moderator needs to decide on one contribution or comment, in a few queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from consult.analysis.services import FoundSpan, personal_data_spans
from consult.models import (
    AutomaticLabel,
    Comment,
    Consultation,
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    Flag,
    LabelSource,
    Principle,
    RedactedOriginal,
    Theme,
    User,
)
from consult.moderation.audit import EventView, JournalFilters, list_events
from consult.moderation.services import redaction_candidates
from consult.visibility import published_contributions

SIMILAR_SHOWN = 4


@dataclass
class Segment:
    """A piece of text; `span` is set when it is personal data (highlighted, with its redaction key)."""

    text: str
    span: FoundSpan | None = None
    key: str | None = None


@dataclass
class LabelRow:
    principle: Principle
    source: str
    score: float | None
    words: list[str] = field(default_factory=list)


@dataclass
class FlagRow:
    flag: Flag
    flagger: str


@dataclass
class ContributionPanel:
    contribution: Contribution
    consultation: Consultation
    author: User
    theme: Theme | None
    labels: list[LabelRow]
    title_segments: list[Segment]
    body_segments: list[Segment]
    spans: list[tuple[str, str, FoundSpan]]
    similar: list[tuple[Contribution, float]]
    kept: Contribution | None
    flags: list[FlagRow]
    originals: list[RedactedOriginal]
    events: list[EventView] = field(default_factory=list)
    automatic: AutomaticLabel | None = None  # the machine's reading (theme, confidence, duplicates), if analysed
    automatic_theme: Theme | None = None

    @property
    def open_flags(self) -> list[FlagRow]:
        return [row for row in self.flags if row.flag.resolved_at is None]

    @property
    def human_labels(self) -> list[LabelRow]:
        return [row for row in self.labels if row.source != LabelSource.NLP]

    @property
    def automatic_labels(self) -> list[LabelRow]:
        return [row for row in self.labels if row.source == LabelSource.NLP]

    @property
    def moderator_principles(self) -> set[str]:
        return {row.principle.id for row in self.labels if row.source == "moderator"}

    @property
    def shown_principles(self) -> set[str]:
        """What the correction form starts from: the moderator's labels if any, else the author's."""
        return self.moderator_principles or {row.principle.id for row in self.labels if row.source == "author"}


@dataclass
class CommentPanel:
    comment: Comment
    contribution: Contribution
    consultation: Consultation
    author: User
    segments: list[Segment]
    flags: list[FlagRow]
    events: list[EventView] = field(default_factory=list)

    @property
    def open_flags(self) -> list[FlagRow]:
        return [row for row in self.flags if row.flag.resolved_at is None]


def segments(text: str, spans: list[tuple[str, FoundSpan]]) -> list[Segment]:
    """Cut `text` into plain and personal-data segments, in order."""
    out, position = [], 0
    for key, span in sorted(spans, key=lambda item: item[1].start):
        if span.start < position:
            continue
        if span.start > position:
            out.append(Segment(text[position : span.start]))
        out.append(Segment(text[span.start : span.end], span, key))
        position = span.end
    if position < len(text):
        out.append(Segment(text[position:]))
    return out


def load_contribution_panel(*, session: Session, contribution: Contribution) -> ContributionPanel:
    candidates = redaction_candidates(contribution)
    labels = session.exec(
        select(ContributionPrinciple, Principle)
        .join(Principle, Principle.id == ContributionPrinciple.principle_id)
        .where(ContributionPrinciple.contribution_id == contribution.id)
        .order_by(ContributionPrinciple.source, Principle.number)
    ).all()
    automatic = session.get(AutomaticLabel, contribution.id)
    similar = _similar(session, contribution, automatic)
    return ContributionPanel(
        automatic=automatic,
        automatic_theme=session.get(Theme, automatic.theme_id) if automatic and automatic.theme_id else None,
        contribution=contribution,
        consultation=session.get(Consultation, contribution.consultation_id),
        author=session.get(User, contribution.author_id),
        theme=session.get(Theme, contribution.theme_id) if contribution.theme_id else None,
        labels=[LabelRow(principle, row.source, row.score, row.words or []) for row, principle in labels],
        title_segments=segments(contribution.title, [(k, s) for k, f, s in candidates if f == "title"]),
        body_segments=segments(contribution.body, [(k, s) for k, f, s in candidates if f == "body"]),
        spans=candidates,
        similar=similar,
        kept=session.get(Contribution, contribution.duplicate_of_id) if contribution.duplicate_of_id else None,
        flags=_flags(session, Flag.contribution_id == contribution.id),
        originals=list(
            session.exec(
                select(RedactedOriginal)
                .where(RedactedOriginal.contribution_id == contribution.id)
                .order_by(RedactedOriginal.id)
            )
        ),
        events=list_events(session=session, filters=JournalFilters(contribution_id=contribution.id), limit=10),
    )


def _similar(
    session: Session, contribution: Contribution, automatic: AutomaticLabel | None
) -> list[tuple[Contribution, float]]:
    """The duplicate candidates stored by the automatic labels (at submission, edit or analysis run).

    Never the similarity index: building it for a consultation takes seconds to minutes at 100,000 texts, which a
    moderator's click must not pay. A contribution without automatic labels shows none until an analysis run.
    """
    if contribution.status == ContributionStatus.DUPLICATE or automatic is None:
        return []
    stored = [(c["id"], c["score"]) for c in automatic.duplicate_candidates][:SIMILAR_SHOWN]
    if not stored:
        return []
    rows = {
        c.id: c
        for c in session.exec(
            select(Contribution).where(Contribution.id.in_([cid for cid, _ in stored]), published_contributions())
        )
    }
    return [(rows[cid], score) for cid, score in stored if cid in rows and cid != contribution.id]


def load_comment_panel(*, session: Session, comment: Comment) -> CommentPanel:
    contribution = session.get(Contribution, comment.contribution_id)
    spans = [(f"body:{i}", span) for i, span in enumerate(personal_data_spans(comment.body))]
    events = [
        e
        for e in list_events(session=session, filters=JournalFilters(contribution_id=contribution.id), limit=50)
        if e.event.comment_id == comment.id
    ]
    return CommentPanel(
        comment=comment,
        contribution=contribution,
        consultation=session.get(Consultation, contribution.consultation_id),
        author=session.get(User, comment.author_id),
        segments=segments(comment.body, spans),
        flags=_flags(session, Flag.comment_id == comment.id),
        events=events,
    )


def _flags(session: Session, condition) -> list[FlagRow]:
    rows = session.exec(
        select(Flag, User.pseudonym).join(User, User.id == Flag.user_id).where(condition).order_by(Flag.created_at)
    ).all()
    return [FlagRow(flag, pseudonym) for flag, pseudonym in rows]
