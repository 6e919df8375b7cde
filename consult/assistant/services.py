"""The assistant's services: the shared engine, the consultation's facts, conversations (stored masked)."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from consult.assistant.engine import Assistant
from consult.config import PROJECT_ROOT
from consult.consultations.services import count_participation, get_consultation, list_phases
from consult.models import Consultation

STATUS_LABELS = {"open": _l("ouverte"), "upcoming": _l("à venir"), "closed": _l("close")}
MODERATION_LABELS = {"pre": _l("relues avant publication"), "post": _l("publiées directement, modérées ensuite")}


def get_engine(config_dir: str = "config/assistant") -> Assistant:
    """The trained engine (once per process), from a project-relative or absolute directory."""
    return Assistant.load(PROJECT_ROOT / config_dir)


def find_consultation(*, session: Session, slug: str) -> Consultation | None:
    return get_consultation(session=session, slug=slug)


def configured_facts(config) -> dict[str, str]:
    """Facts from the configuration that answers may quote (retention periods)."""
    return {
        "retention_days": str(config["ASSISTANT_RETENTION_DAYS"]),
        "account_months": str(config["DATA_RETENTION_MONTHS"]),
    }


def consultation_facts(*, session: Session, consultation: Consultation) -> dict[str, str]:
    """The consultation's own texts and live counts, as the knowledge base's placeholders read them."""
    counts = count_participation(session=session, consultation=consultation)
    phases = list_phases(session=session, consultation=consultation)
    return {
        "title": consultation.title,
        "question": consultation.question,
        "opens": format_date(consultation.opens_at, "long"),
        "closes": format_date(consultation.closes_at, "long"),
        "status": str(STATUS_LABELS[consultation.status()]),
        "phases": "; ".join(
            f"{phase.title} ({format_date(phase.starts_at, 'long')} – {format_date(phase.ends_at, 'long')})"
            for phase in phases
        )
        or "—",
        "contributions": str(counts.contributions),
        "participants": str(counts.participants),
        "votes": str(counts.votes),
        "moderation": str(MODERATION_LABELS.get(consultation.moderation, consultation.moderation)),
    }
