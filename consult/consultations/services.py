"""Consultations: listing by status, lookup, creation."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from consult.models import Consultation, ModerationMode, utcnow


def list_consultations(*, session: Session, now: datetime | None = None) -> dict[str, list[Consultation]]:
    """Return consultations grouped as {"open": [...], "upcoming": [...], "closed": [...]}."""
    now = now or utcnow()
    groups: dict[str, list[Consultation]] = {"open": [], "upcoming": [], "closed": []}
    for consultation in session.exec(select(Consultation).order_by(Consultation.opens_at.desc())):
        groups[consultation.status(now)].append(consultation)
    return groups


def get_consultation(*, session: Session, slug: str) -> Consultation | None:
    return session.exec(select(Consultation).where(Consultation.slug == slug)).first()


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
) -> Consultation:
    consultation = Consultation(
        slug=slug,
        title=title,
        summary=summary,
        description=description,
        question=question,
        opens_at=opens_at,
        closes_at=closes_at,
        moderation=moderation,
    )
    session.add(consultation)
    session.flush()
    return consultation
