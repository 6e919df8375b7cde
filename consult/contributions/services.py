"""Contributions: submit, edit while pending, withdraw, read one with its labels, RGPD export.

Moderation decisions live in consult.moderation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, select

from consult.account.services import export_section
from consult.analysis.automatic import label_contribution
from consult.analysis.services import find_personal_data
from consult.consultations.services import ensure_open
from consult.errors import Conflict, ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import (
    HUMAN_LABEL_SOURCES,
    Channel,
    Consultation,
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    LabelSource,
    ModerationMode,
    Principle,
    Theme,
    User,
    utcnow,
)

TITLE_MIN, TITLE_MAX = 10, 140
BODY_MIN, BODY_MAX = 30, 5000
MAX_PRINCIPLES = 16

WITHDRAWABLE = {ContributionStatus.PENDING, ContributionStatus.PUBLISHED, ContributionStatus.HIDDEN}


@dataclass
class ContributionView:
    """A contribution with what its card or page displays, loaded in batch (no lazy loading in templates)."""

    contribution: Contribution
    author: str
    theme: Theme | None = None
    principles: list[Principle] = field(default_factory=list)


def validate_contribution(
    *, session: Session, title: str, body: str, theme_id: str | None, principle_ids: list[str]
) -> tuple[str, str, dict[str, str]]:
    """Return the cleaned title and body and a dict of French errors (empty when valid)."""
    title, body = title.strip(), body.strip()
    errors: dict[str, str] = {}
    if len(title) < TITLE_MIN:
        errors["title"] = _l(
            "Le titre doit faire au moins %(n)d caractères (actuellement %(len)d).", n=TITLE_MIN, len=len(title)
        )
    elif len(title) > TITLE_MAX:
        errors["title"] = _l(
            "Le titre doit faire au plus %(n)d caractères (actuellement %(len)d).", n=TITLE_MAX, len=len(title)
        )
    if len(body) < BODY_MIN:
        errors["body"] = _l(
            "Le texte doit faire au moins %(n)d caractères (actuellement %(len)d).", n=BODY_MIN, len=len(body)
        )
    elif len(body) > BODY_MAX:
        errors["body"] = _l(
            "Le texte doit faire au plus %(n)d caractères (actuellement %(len)d).", n=BODY_MAX, len=len(body)
        )
    if theme_id and session.get(Theme, theme_id) is None:
        errors["theme"] = _l("Choisissez un thème dans la liste.")
    if principle_ids:
        known = set(session.exec(select(Principle.id).where(Principle.id.in_(principle_ids))))
        if len(set(principle_ids)) > MAX_PRINCIPLES or known != set(principle_ids):
            errors["principles"] = _l("Choisissez les principes dans la liste.")
    return title, body, errors


def check_masked_title(title: str) -> None:
    """The masked title must still fit (a masked span can be longer than the words it hides)."""
    if len(title) > TITLE_MAX:
        raise ValidationFailed(
            {
                "title": _l(
                    "Une fois les données personnelles masquées, le titre fait %(len)d caractères (au plus %(n)d) : "
                    "raccourcissez-le.",
                    len=len(title),
                    n=TITLE_MAX,
                )
            }
        )


def screen_personal_data(*, title: str, body: str, redact: bool) -> tuple[str, str]:
    """Refuse text with personal or health data (RGPD art. 9) unless the author accepts the masked version.

    The original is never stored: either the author rewrites it, or the masked title and body are kept.
    """
    found_title, found_body = find_personal_data(title), find_personal_data(body)
    if not found_title and not found_body:
        return title, body
    if not redact:
        kinds = sorted({str(k) for found in (found_title, found_body) if found for k in found.kinds})
        raise ValidationFailed(
            {
                "personal_data": _l(
                    "Votre texte semble contenir des données personnelles (%(kinds)s). Pour protéger votre vie privée "
                    "et celle des autres, elles ne peuvent pas être publiées : reformulez votre texte, ou acceptez de "
                    "publier la version où elles sont masquées.",
                    kinds=", ".join(str(k) for k in kinds),
                )
            }
        )
    return (found_title.redacted if found_title else title), (found_body.redacted if found_body else body)


def submit_contribution(
    *,
    session: Session,
    consultation: Consultation,
    author: User,
    title: str,
    body: str,
    theme_id: str | None = None,
    principle_ids: list[str] | None = None,
    channel: str = Channel.WEB,
    redact_personal_data: bool = False,
) -> Contribution:
    """Create a contribution: pending under pre-moderation, published at once under post-moderation."""
    ensure_open(consultation)
    principle_ids = sorted(set(principle_ids or []))
    title, body, errors = validate_contribution(
        session=session, title=title, body=body, theme_id=theme_id, principle_ids=principle_ids
    )
    if channel not in set(Channel):
        errors["channel"] = _l("Canal inconnu.")
    if errors:
        raise ValidationFailed(errors)
    title, body = screen_personal_data(title=title, body=body, redact=redact_personal_data)
    check_masked_title(title)
    now = utcnow()
    published = consultation.moderation == ModerationMode.POST
    contribution = Contribution(
        consultation_id=consultation.id,
        author_id=author.id,
        title=title,
        body=body,
        theme_id=theme_id or None,
        status=ContributionStatus.PUBLISHED if published else ContributionStatus.PENDING,
        channel=channel,
        created_at=now,
        updated_at=now,
        published_at=now if published else None,
    )
    session.add(contribution)
    session.flush()
    _set_author_principles(session=session, contribution=contribution, principle_ids=principle_ids)
    label_contribution(session=session, contribution=contribution)
    return contribution


def update_contribution(
    *,
    session: Session,
    contribution: Contribution,
    consultation: Consultation,
    title: str,
    body: str,
    theme_id: str | None = None,
    principle_ids: list[str] | None = None,
    redact_personal_data: bool = False,
) -> Contribution:
    """Let the author change a contribution that no moderator has looked at yet (status pending)."""
    ensure_editable(contribution=contribution, consultation=consultation)
    principle_ids = sorted(set(principle_ids or []))
    title, body, errors = validate_contribution(
        session=session, title=title, body=body, theme_id=theme_id, principle_ids=principle_ids
    )
    if errors:
        raise ValidationFailed(errors)
    title, body = screen_personal_data(title=title, body=body, redact=redact_personal_data)
    check_masked_title(title)
    contribution.title, contribution.body, contribution.theme_id = title, body, theme_id or None
    contribution.updated_at = utcnow()
    session.add(contribution)
    _set_author_principles(session=session, contribution=contribution, principle_ids=principle_ids)
    session.flush()
    label_contribution(session=session, contribution=contribution)
    return contribution


def ensure_editable(*, contribution: Contribution, consultation: Consultation) -> None:
    ensure_open(consultation)
    if contribution.status != ContributionStatus.PENDING:
        raise Conflict(
            _l(
                "Cette contribution n'est plus modifiable : seules les contributions en attente de modération "
                "peuvent l'être."
            )
        )


def ensure_withdrawable(*, contribution: Contribution, consultation: Consultation) -> None:
    ensure_open(consultation)
    if contribution.status not in WITHDRAWABLE:
        raise Conflict(_l("Cette contribution ne peut pas être retirée dans son état actuel."))


def withdraw_contribution(*, session: Session, contribution: Contribution, consultation: Consultation) -> None:
    """Withdraw a contribution at its author's request; it disappears from the lists, votes are kept."""
    ensure_withdrawable(contribution=contribution, consultation=consultation)
    contribution.status = ContributionStatus.WITHDRAWN
    contribution.updated_at = utcnow()
    session.add(contribution)
    session.flush()


def _set_author_principles(*, session: Session, contribution: Contribution, principle_ids: list[str]) -> None:
    # Only the author's own labels are replaced; NLP and moderator labels are kept.
    existing = session.exec(
        select(ContributionPrinciple).where(
            ContributionPrinciple.contribution_id == contribution.id,
            ContributionPrinciple.source == LabelSource.AUTHOR,
        )
    ).all()
    for row in existing:
        if row.principle_id not in principle_ids:
            session.delete(row)
    have = {row.principle_id for row in existing}
    for principle_id in principle_ids:
        if principle_id not in have:
            session.add(
                ContributionPrinciple(
                    contribution_id=contribution.id, principle_id=principle_id, source=LabelSource.AUTHOR
                )
            )
    session.flush()


def get_contribution(*, session: Session, contribution_id: int) -> Contribution | None:
    return session.get(Contribution, contribution_id)


def load_views(*, session: Session, contributions: list[Contribution]) -> list[ContributionView]:
    """Attach author pseudonyms, themes and principles to `contributions` in three batched queries."""
    if not contributions:
        return []
    ids = [c.id for c in contributions]
    author_ids = {c.author_id for c in contributions}
    authors = dict(session.exec(select(User.id, User.pseudonym).where(User.id.in_(author_ids))).all())
    theme_ids = {c.theme_id for c in contributions if c.theme_id}
    themes = {t.id: t for t in session.exec(select(Theme).where(Theme.id.in_(theme_ids)))} if theme_ids else {}
    principles = principles_by_contribution(session=session, contribution_ids=ids)
    return [
        ContributionView(
            contribution=c,
            author=authors.get(c.author_id, ""),
            theme=themes.get(c.theme_id) if c.theme_id else None,
            principles=principles.get(c.id, []),
        )
        for c in contributions
    ]


def principles_by_contribution(
    *, session: Session, contribution_ids: list[int], principles: Mapping[str, Principle] | None = None
) -> dict[int, list[Principle]]:
    """Return the principles people gave each contribution (author or moderator), without repeats, in number order.

    A moderator's correction replaces the author's labels. `principles` (id -> Principle, e.g. a list page's cached
    taxonomy) spares loading a Principle per label.
    """
    result: dict[int, list[Principle]] = {}
    if not contribution_ids:
        return result
    rows = session.exec(
        select(ContributionPrinciple.contribution_id, ContributionPrinciple.source, ContributionPrinciple.principle_id)
        .where(
            ContributionPrinciple.contribution_id.in_(contribution_ids),
            ContributionPrinciple.source.in_(HUMAN_LABEL_SOURCES),
        )
        .order_by(ContributionPrinciple.contribution_id)
    ).all()
    # Any principle the mapping lacks (none given, or added since it was taken) is read from the database.
    principles = dict(principles or {})
    missing = {principle_id for _, _, principle_id in rows} - principles.keys()
    if missing:
        principles.update((p.id, p) for p in session.exec(select(Principle).where(Principle.id.in_(missing))))
    corrected = {cid for cid, source, _ in rows if source == LabelSource.MODERATOR}
    for contribution_id, source, principle_id in rows:
        if contribution_id in corrected and source != LabelSource.MODERATOR:
            continue
        principle = principles.get(principle_id)
        bucket = result.setdefault(contribution_id, [])
        if principle is not None and principle not in bucket:
            bucket.append(principle)
    for bucket in result.values():
        bucket.sort(key=lambda p: p.number)
    return result


def author_principle_ids(*, session: Session, contribution: Contribution) -> list[str]:
    return list(
        session.exec(
            select(ContributionPrinciple.principle_id).where(
                ContributionPrinciple.contribution_id == contribution.id,
                ContributionPrinciple.source == LabelSource.AUTHOR,
            )
        )
    )


def list_user_contributions(*, session: Session, user: User) -> list[tuple[Contribution, Consultation]]:
    """Every contribution of `user`, newest first, with its consultation (one query)."""
    rows = session.exec(
        select(Contribution, Consultation)
        .join(Consultation, Consultation.id == Contribution.consultation_id)
        .where(Contribution.author_id == user.id)
        .order_by(Contribution.created_at.desc(), Contribution.id.desc())
    ).all()
    return [(c, k) for c, k in rows]


@export_section("contributions")
def export_contributions(session: Session, user: User) -> list[dict]:
    rows = list_user_contributions(session=session, user=user)
    principles = principles_by_contribution(session=session, contribution_ids=[c.id for c, _ in rows])
    return [
        {
            "id": c.id,
            "consultation": k.slug,
            "title": c.title,
            "body": c.body,
            "theme": c.theme_id,
            "principles": [p.id for p in principles.get(c.id, [])],
            "status": c.status,
            "rejection_reason": c.rejection_reason,
            "duplicate_of": c.duplicate_of_id,
            "channel": c.channel,
            "created_at": c.created_at.isoformat(),
            "updated_at": c.updated_at.isoformat(),
        }
        for c, k in rows
    ]
