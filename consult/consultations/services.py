"""Consultations: listing by status, lookup, creation and edition with phases, open/closed rule, live counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, union
from sqlmodel import Session, select

from consult.errors import Conflict, ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import (
    Comment,
    Consultation,
    ConsultationPhase,
    Contribution,
    ModerationMode,
    Vote,
    utcnow,
)
from consult.visibility import published_contributions

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LIMITS = {"slug": 80, "title": 200, "summary": 500, "question": 500}


@dataclass(frozen=True)
class ConsultationCounts:
    contributions: int
    participants: int
    votes: int


@dataclass(frozen=True)
class PhaseInput:
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    description: str = ""


def list_consultations(*, session: Session, now: datetime | None = None) -> dict[str, list[Consultation]]:
    """Return consultations grouped as {"open": [...], "upcoming": [...], "closed": [...]}."""
    now = now or utcnow()
    groups: dict[str, list[Consultation]] = {"open": [], "upcoming": [], "closed": []}
    for consultation in session.exec(select(Consultation).order_by(Consultation.opens_at.desc())):
        groups[consultation.status(now)].append(consultation)
    return groups


def get_consultation(*, session: Session, slug: str) -> Consultation | None:
    return session.exec(select(Consultation).where(Consultation.slug == slug)).first()


def ensure_open(consultation: Consultation, now: datetime | None = None) -> None:
    """Refuse any write on a consultation that is not open (closed ones are read-only)."""
    status = consultation.status(now)
    if status == "closed":
        raise Conflict(
            _l(
                "La consultation « %(title)s » est close : elle reste consultable mais il n'est plus possible "
                "d'y contribuer.",
                title=consultation.title,
            )
        )
    if status == "upcoming":
        raise Conflict(
            _l(
                "La consultation « %(title)s » n'est pas encore ouverte : revenez à partir de son ouverture.",
                title=consultation.title,
            )
        )


def list_phases(*, session: Session, consultation: Consultation) -> list[ConsultationPhase]:
    return list(
        session.exec(
            select(ConsultationPhase)
            .where(ConsultationPhase.consultation_id == consultation.id)
            .order_by(ConsultationPhase.position, ConsultationPhase.starts_at)
        )
    )


def count_participation(*, session: Session, consultation: Consultation) -> ConsultationCounts:
    """Count published contributions, votes, and distinct participants (authors, voters, commenters)."""
    visible = (Contribution.consultation_id == consultation.id, published_contributions())
    contributions, votes = session.exec(
        select(func.count(), func.coalesce(func.sum(Contribution.vote_count), 0)).where(*visible)
    ).one()
    people = union(
        select(Contribution.author_id.label("user_id")).where(Contribution.consultation_id == consultation.id),
        select(Vote.user_id)
        .join(Contribution, Contribution.id == Vote.contribution_id)
        .where(Contribution.consultation_id == consultation.id),
        select(Comment.author_id)
        .join(Contribution, Contribution.id == Comment.contribution_id)
        .where(Contribution.consultation_id == consultation.id),
    ).subquery()
    participants = session.exec(select(func.count()).select_from(people)).one()
    return ConsultationCounts(contributions=contributions, participants=participants, votes=int(votes))


def validate_consultation(*, session: Session, fields: dict, current: Consultation | None = None) -> dict[str, str]:
    """Check the fields of a consultation; return French errors by field name."""
    errors: dict[str, str] = {}
    for name in ("slug", "title", "summary", "question"):
        value = fields.get(name) or ""
        if not value:
            errors[name] = _l("Ce champ est obligatoire.")
        elif len(value) > LIMITS[name]:
            errors[name] = _l("%(n)d caractères au plus.", n=LIMITS[name])
    slug = fields.get("slug") or ""
    if slug and "slug" not in errors:
        if not SLUG_RE.match(slug):
            errors["slug"] = _l(
                "Uniquement des lettres minuscules sans accent, des chiffres et des tirets (ex. : ma-consultation)."
            )
        else:
            other = get_consultation(session=session, slug=slug)
            if other is not None and (current is None or other.id != current.id):
                errors["slug"] = _l("Cette adresse est déjà utilisée par une autre consultation.")
    opens_at, closes_at = _utc(fields.get("opens_at")), _utc(fields.get("closes_at"))
    if opens_at is None:
        errors["opens_at"] = _l("Indiquez une date d'ouverture valide.")
    if closes_at is None:
        errors["closes_at"] = _l("Indiquez une date de clôture valide.")
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _l("La clôture doit être postérieure à l'ouverture.")
    if fields.get("moderation") not in set(ModerationMode):
        errors["moderation"] = _l("Choisissez un mode de modération.")
    return errors


def _utc(value: datetime | None) -> datetime | None:
    # SQLite gives back naive datetimes (stored in UTC); compare them with the aware ones from forms.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def validate_phases(phases: list[PhaseInput]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for index, phase in enumerate(phases):
        if not phase.title:
            errors[f"phase-{index}-title"] = _l("Donnez un titre à l'étape.")
        elif len(phase.title) > 120:
            errors[f"phase-{index}-title"] = _l("%(n)d caractères au plus.", n=120)
        if len(phase.description) > 500:
            errors[f"phase-{index}-description"] = _l("%(n)d caractères au plus.", n=500)
        if phase.starts_at is None or phase.ends_at is None:
            errors[f"phase-{index}-dates"] = _l("Indiquez des dates de début et de fin valides.")
        elif _utc(phase.ends_at) <= _utc(phase.starts_at):
            errors[f"phase-{index}-dates"] = _l("La fin doit être postérieure au début.")
    return errors


def create_consultation(
    *,
    session: Session,
    slug: str,
    title: str,
    summary: str,
    question: str,
    opens_at: datetime,
    closes_at: datetime,
    description: str = "",
    moderation: str = ModerationMode.POST,
    phases: list[PhaseInput] | None = None,
    validate: bool = False,
) -> Consultation:
    """Create a consultation (validated when `validate`, as for admin input) with its phases."""
    fields = {
        "slug": slug,
        "title": title,
        "summary": summary,
        "question": question,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "description": description,
        "moderation": moderation,
    }
    if validate:
        errors = validate_consultation(session=session, fields=fields) | validate_phases(phases or [])
        if errors:
            raise ValidationFailed(errors)
    consultation = Consultation(**fields)
    session.add(consultation)
    session.flush()
    if phases:
        replace_phases(session=session, consultation=consultation, phases=phases)
    return consultation


def update_consultation(
    *, session: Session, consultation: Consultation, fields: dict, phases: list[PhaseInput] | None = None
) -> Consultation:
    """Apply `fields` (only the keys given) and, when `phases` is not None, replace the phases."""
    merged = {
        name: getattr(consultation, name)
        for name in ("slug", "title", "summary", "question", "opens_at", "closes_at", "description", "moderation")
    }
    merged.update(fields)
    errors = validate_consultation(session=session, fields=merged, current=consultation)
    if phases is not None:
        errors |= validate_phases(phases)
    if errors:
        raise ValidationFailed(errors)
    for name, value in merged.items():
        setattr(consultation, name, value)
    session.add(consultation)
    if phases is not None:
        replace_phases(session=session, consultation=consultation, phases=phases)
    session.flush()
    return consultation


def replace_phases(*, session: Session, consultation: Consultation, phases: list[PhaseInput]) -> None:
    for old in list_phases(session=session, consultation=consultation):
        session.delete(old)
    session.flush()
    for position, phase in enumerate(phases):
        session.add(
            ConsultationPhase(
                consultation_id=consultation.id,
                position=position,
                title=phase.title,
                description=phase.description,
                starts_at=phase.starts_at,
                ends_at=phase.ends_at,
            )
        )
    session.flush()
