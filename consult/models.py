"""All table models of the platform (SQLModel), typed, with a naming convention for constraints."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
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


def _cascade_fk(target: str, *, nullable: bool = False, index: bool = False, primary_key: bool = False) -> Column:
    """An integer foreign key whose rows go when the row they point to is deleted."""
    return Column(
        Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index, primary_key=primary_key
    )


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


class ContributionStatus(StrEnum):
    PENDING = "pending"  # waiting for a moderator (pre-moderated consultations)
    PUBLISHED = "published"
    REJECTED = "rejected"  # with a reason shown to the author
    DUPLICATE = "duplicate"  # points to the kept contribution
    HIDDEN = "hidden"  # hidden by flags or by a moderator, pending review
    WITHDRAWN = "withdrawn"  # withdrawn by its author


class Channel(StrEnum):
    WEB = "web"
    CHAT = "chat"
    IMPORT = "import"


class VoteValue(int, enum.Enum):
    AGREE = 1
    DISAGREE = -1
    PASS = 0


class LabelSource(StrEnum):
    AUTHOR = "author"
    NLP = "nlp"
    MODERATOR = "moderator"


class ConsultationPhase(SQLModel, table=True):
    """A dated step of a consultation (e.g. contributions, votes, synthesis)."""

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=_cascade_fk("consultation.id", nullable=False, index=True))
    position: int = Field(default=0)
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    starts_at: datetime = Field(sa_column=_datetime_column())
    ends_at: datetime = Field(sa_column=_datetime_column())


class Dimension(SQLModel, table=True):
    """One of the 4 dimensions of the European ethical principles for digital health."""

    id: str = Field(primary_key=True, max_length=4)  # "D1".."D4"
    key: str = Field(max_length=60)
    label_fr: str = Field(max_length=300)
    label_en: str | None = Field(default=None, max_length=300)


class Principle(SQLModel, table=True):
    """One of the 16 principles; label_fr is the official wording only when verified (see verified_fr)."""

    id: str = Field(primary_key=True, max_length=4)  # "P01".."P16"
    dimension_id: str = Field(foreign_key="dimension.id", max_length=4, index=True)
    number: int
    label_fr: str = Field(max_length=300)
    label_en: str = Field(max_length=300)
    verified_fr: bool = Field(default=False)


class Theme(SQLModel, table=True):
    """A reference theme of the DNS taxonomy."""

    id: str = Field(primary_key=True, max_length=4)  # "T01".."T18"
    key: str = Field(max_length=60)
    label_fr: str = Field(max_length=200)
    label_en: str | None = Field(default=None, max_length=200)
    description_fr: str = Field(default="", sa_column=Column(Text, nullable=False))
    position: int = Field(default=0)


SEARCH_VECTOR_SQL = "to_tsvector('french'::regconfig, (title || ' ') || body)"


class Contribution(SQLModel, table=True):
    """A citizen's proposal. Vote counters are denormalised and updated atomically with each vote."""

    __table_args__ = (
        Index("ix_contribution_list_recent", "consultation_id", "status", "created_at", "id"),
        Index("ix_contribution_list_agree", "consultation_id", "status", "agree_count", "id"),
        # "least voted" lists fewest votes first and, among equals, the newest first: id descends.
        Index("ix_contribution_list_votes", "consultation_id", "status", "vote_count", text("id DESC")),
        Index("ix_contribution_list_divisive", "consultation_id", "status", "divisive_score", "id"),
        Index("ix_contribution_list_consensus", "consultation_id", "status", "consensus_score", "id"),
        Index("ix_contribution_list_theme", "consultation_id", "status", "theme_id", "created_at", "id"),
        # French full-text search on PostgreSQL (stemmed: "donnée" finds "données"); the list query repeats
        # this exact expression (SEARCH_VECTOR_SQL, in contributions.listing) so the planner can use the index.
        # SQLite has no such index: it falls back to LIKE.
        Index("ix_contribution_search_fr", text(SEARCH_VECTOR_SQL), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id")
    author_id: int = Field(foreign_key="user.id", index=True)
    title: str = Field(max_length=140)
    body: str = Field(sa_column=Column(Text, nullable=False))
    theme_id: str | None = Field(default=None, foreign_key="theme.id", max_length=4)
    status: str = Field(default=ContributionStatus.PUBLISHED, max_length=12)
    rejection_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duplicate_of_id: int | None = Field(default=None, foreign_key="contribution.id")
    channel: str = Field(default=Channel.WEB, max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    published_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
    agree_count: int = Field(default=0)
    disagree_count: int = Field(default=0)
    pass_count: int = Field(default=0)
    vote_count: int = Field(default=0)  # agree + disagree + pass
    # Sort keys, recomputed from the counters in the same UPDATE (see votes.services):
    # consensus = (agree + 1) / (agree + disagree + 2) * (1 - 1 / (vote_count + 1))
    # divisive  = min(agree, disagree) / max(agree, disagree, 1) * (agree + disagree)
    consensus_score: float = Field(default=0.0, sa_column=Column(Float, nullable=False, server_default="0"))
    divisive_score: float = Field(default=0.0, sa_column=Column(Float, nullable=False, server_default="0"))
    comment_count: int = Field(default=0)
    flag_count: int = Field(default=0)


class ContributionPrinciple(SQLModel, table=True):
    """An ethical principle attached to a contribution, by its author, the NLP or a moderator."""

    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", primary_key=True))
    principle_id: str = Field(foreign_key="principle.id", primary_key=True, max_length=4)
    source: str = Field(default=LabelSource.AUTHOR, max_length=10, primary_key=True)
    score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


class Vote(SQLModel, table=True):
    """One agree / disagree / pass per user and contribution; changeable."""

    __table_args__ = (
        UniqueConstraint("contribution_id", "user_id"),
        CheckConstraint("value IN (-1, 0, 1)", name="value_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", nullable=False))
    user_id: int = Field(foreign_key="user.id", index=True)
    value: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())


class CommentStatus(StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"
    HIDDEN = "hidden"
    DELETED = "deleted"  # deleted by its author: kept as a placeholder so replies stay in context


class Comment(SQLModel, table=True):
    """A comment on a published contribution; one level of replies (parent_id points to a top-level comment)."""

    __table_args__ = (Index("ix_comment_thread", "contribution_id", "parent_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", nullable=False))
    author_id: int = Field(foreign_key="user.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="comment.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=CommentStatus.PUBLISHED, max_length=12)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    flag_count: int = Field(default=0)


class Flag(SQLModel, table=True):
    """A report of a contribution or a comment by a signed-in user; one per user and target."""

    __table_args__ = (
        # One flag per user and target; partial indexes because NULLs never collide in a plain UNIQUE.
        Index(
            "uq_flag_user_contribution",
            "user_id",
            "contribution_id",
            unique=True,
            sqlite_where=text("contribution_id IS NOT NULL"),
            postgresql_where=text("contribution_id IS NOT NULL"),
        ),
        Index(
            "uq_flag_user_comment",
            "user_id",
            "comment_id",
            unique=True,
            sqlite_where=text("comment_id IS NOT NULL"),
            postgresql_where=text("comment_id IS NOT NULL"),
        ),
        CheckConstraint("(contribution_id IS NULL) <> (comment_id IS NULL)", name="one_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    contribution_id: int | None = Field(
        default=None,
        sa_column=_cascade_fk("contribution.id", nullable=True, index=True),
    )
    comment_id: int | None = Field(default=None, sa_column=_cascade_fk("comment.id", nullable=True, index=True))
    reason: str = Field(max_length=30)
    details: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    resolved_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
