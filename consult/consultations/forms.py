"""Consultation form (admin) and the conversion between <input type="datetime-local"> and UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, StringField, TextAreaField

from consult.consultations.services import PhaseInput
from consult.models import ModerationMode

# Admins type dates in French local time; the database stores UTC.
LOCAL_TZ = ZoneInfo("Europe/Paris")
MAX_PHASE_ROWS = 8


class ConsultationForm(FlaskForm):
    slug = StringField()
    title = StringField()
    summary = TextAreaField()
    question = TextAreaField()
    description = TextAreaField()
    opens_at = StringField()
    closes_at = StringField()
    moderation = RadioField(
        choices=[m.value for m in ModerationMode], default=ModerationMode.POST.value, validate_choice=False
    )


def parse_local_datetime(text: str | None) -> datetime | None:
    """Parse "YYYY-MM-DDTHH:MM" (or a date alone) as Paris time; None when empty or invalid."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def local_input(value: datetime | None) -> str:
    if value is None:
        return ""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def consultation_fields(form: ConsultationForm) -> dict:
    return {
        "slug": (form.slug.data or "").strip().lower(),
        "title": (form.title.data or "").strip(),
        "summary": (form.summary.data or "").strip(),
        "question": (form.question.data or "").strip(),
        "description": form.description.data or "",
        "opens_at": parse_local_datetime(form.opens_at.data),
        "closes_at": parse_local_datetime(form.closes_at.data),
        "moderation": form.moderation.data,
    }


def parse_phases(data: MultiDict) -> tuple[list[PhaseInput], list[dict]]:
    """Read the phase rows phase-N-*; fully empty rows are dropped. Return inputs and the raw rows to redisplay."""
    phases, rows = [], []
    for index in range(MAX_PHASE_ROWS):
        raw = {
            key: (data.get(f"phase-{index}-{key}") or "").strip() for key in ("title", "description", "starts", "ends")
        }
        if not any(raw.values()):
            continue
        rows.append(raw)
        phases.append(
            PhaseInput(
                title=raw["title"],
                description=raw["description"],
                starts_at=parse_local_datetime(raw["starts"]),
                ends_at=parse_local_datetime(raw["ends"]),
            )
        )
    return phases, rows
