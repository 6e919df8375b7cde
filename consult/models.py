"""All table models of the platform (SQLModel), typed, with a naming convention for constraints."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so Alembic autogenerate and batch mode on SQLite agree.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _datetime_column(*, nullable: bool = False, index: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class Role(StrEnum):
    CITIZEN = "citizen"
    MODERATOR = "moderator"
    ANALYST = "analyst"
    ADMIN = "admin"


class ModerationMode(StrEnum):
    PRE = "pre"  # contributions wait for a moderator before publication
    POST = "post"  # contributions are published at once and moderated afterwards


class User(SQLModel, table=True):
    """An account. After deletion the row stays (contributions point to it) with personal data erased."""

    id: int | None = Field(default=None, primary_key=True)
    email: str | None = Field(default=None, max_length=254, unique=True)
    pseudonym: str = Field(max_length=40, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    role: str = Field(default=Role.CITIZEN, max_length=20, index=True)
    locale: str | None = Field(default=None, max_length=5)
    privacy_consent_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    last_login_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
    # Bumped on password change and deletion: sessions carrying an older value are logged out.
    session_version: int = Field(default=1)

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    def has_role(self, *roles: str) -> bool:
        return self.role == Role.ADMIN or self.role in roles


class Consultation(SQLModel, table=True):
    """A public consultation: context, question and dates; read-only once closed."""

    __table_args__ = (UniqueConstraint("slug"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80)
    title: str = Field(max_length=200)
    summary: str = Field(max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))  # Markdown
    question: str = Field(max_length=500)
    opens_at: datetime = Field(sa_column=_datetime_column())
    closes_at: datetime = Field(sa_column=_datetime_column())
    moderation: str = Field(default=ModerationMode.POST, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())

    def status(self, now: datetime | None = None) -> str:
        """Return "upcoming", "open" or "closed"."""
        now = now or utcnow()
        opens, closes = _aware(self.opens_at), _aware(self.closes_at)
        if now < opens:
            return "upcoming"
        return "open" if now < closes else "closed"


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone-aware columns; they are stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
