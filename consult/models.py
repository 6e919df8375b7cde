"""All table models of the platform (SQLModel), typed, with a naming convention for constraints."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlmodel import Field, SQLModel

from consult import fulltext

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


def _json_column(*, nullable: bool = False) -> Column:
    return Column(JSON, nullable=nullable)


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
    # Set when the owner of the address followed the link mailed at sign-up (or a password reset link).
    email_verified_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
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


# Labels people gave. Pages, filters and the API's "principles" show these; the machine's ("nlp") are shown
# apart, marked automatic, with their score and words.
HUMAN_LABEL_SOURCES = (LabelSource.AUTHOR, LabelSource.MODERATOR)


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

    def label(self, locale: str) -> str:
        """The wording in the interface's language (French when there is no English one)."""
        return (self.label_en if locale == "en" else None) or self.label_fr


class Principle(SQLModel, table=True):
    """One of the 16 principles; label_fr is the official wording only when verified (see verified_fr)."""

    id: str = Field(primary_key=True, max_length=4)  # "P01".."P16"
    dimension_id: str = Field(foreign_key="dimension.id", max_length=4, index=True)
    number: int
    label_fr: str = Field(max_length=300)
    label_en: str = Field(max_length=300)
    verified_fr: bool = Field(default=False)
    # A few words a citizen can read on a card ("Droit d'opposition"); the full wording is on the taxonomy page.
    short_fr: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})
    short_en: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})

    def short(self, locale: str) -> str:
        return (self.short_en if locale == "en" else self.short_fr) or self.label_fr

    def label(self, locale: str) -> str:
        """The full wording in the interface's language (French when there is no English one)."""
        return (self.label_en if locale == "en" else None) or self.label_fr


class Theme(SQLModel, table=True):
    """A reference theme of the DNS taxonomy."""

    id: str = Field(primary_key=True, max_length=4)  # "T01".."T18"
    key: str = Field(max_length=60)
    label_fr: str = Field(max_length=200)
    label_en: str | None = Field(default=None, max_length=200)
    description_fr: str = Field(default="", sa_column=Column(Text, nullable=False))
    position: int = Field(default=0)
    short_fr: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})
    short_en: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})

    def short(self, locale: str) -> str:
        return (self.short_en if locale == "en" else self.short_fr) or self.label_fr

    def label(self, locale: str) -> str:
        """The full wording in the interface's language (French when there is no English one)."""
        return (self.label_en if locale == "en" else None) or self.label_fr


def _version_column() -> Column:
    return Column("version", Integer, nullable=False, server_default="1")


_CONTRIBUTION_VERSION = _version_column()
_COMMENT_VERSION = _version_column()


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
        # The moderation queue across consultations: pending first, oldest first.
        Index("ix_contribution_moderation", "status", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id")
    author_id: int = Field(foreign_key="user.id", index=True)
    title: str = Field(max_length=140)
    body: str = Field(sa_column=Column(Text, nullable=False))
    theme_id: str | None = Field(default=None, foreign_key="theme.id", max_length=4)
    # Who chose theme_id (LabelSource): the author, or a moderator correcting it.
    theme_source: str = Field(default=LabelSource.AUTHOR, max_length=10, sa_column_kwargs={"server_default": "author"})
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
    # Optimistic lock: bumped by every change of text or status (the ORM checks it on each UPDATE of the row),
    # never by vote or comment counters. A moderator's decision names the version they saw.
    version: int = Field(default=1, sa_column=_CONTRIBUTION_VERSION)

    __mapper_args__ = {"version_id_col": _CONTRIBUTION_VERSION}


# Full-text search (SQLite FTS5 table, PostgreSQL tsvector column): DDL outside the ORM, see consult.fulltext.
fulltext.attach(Contribution.__table__)


class ContributionPrinciple(SQLModel, table=True):
    """An ethical principle attached to a contribution, by its author, the NLP or a moderator."""

    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", primary_key=True))
    principle_id: str = Field(foreign_key="principle.id", primary_key=True, max_length=4)
    source: str = Field(default=LabelSource.AUTHOR, max_length=10, primary_key=True)
    score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # Automatic labels (source "nlp") only: the words behind the label, best first.
    words: list[str] | None = Field(default=None, sa_column=_json_column(nullable=True))


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

    __table_args__ = (
        Index("ix_comment_thread", "contribution_id", "parent_id", "created_at"),
        # The moderation queue: pending comments oldest first, and their count, without reading every comment.
        Index("ix_comment_moderation", "status", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", nullable=False))
    author_id: int = Field(foreign_key="user.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="comment.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=CommentStatus.PUBLISHED, max_length=12)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    flag_count: int = Field(default=0)
    # Optimistic lock, as on Contribution: bumped by every change of text or status.
    version: int = Field(default=1, sa_column=_COMMENT_VERSION)

    __mapper_args__ = {"version_id_col": _COMMENT_VERSION}


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
        # The moderation queue's "flagged" filters read only the open flags.
        Index(
            "ix_flag_open_contribution",
            "contribution_id",
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index(
            "ix_flag_open_comment",
            "comment_id",
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
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


# ---------------------------------------------------------------------------------------------------------------
# Analysis: automatic labels, analysis runs and their stored results, label models learnt from moderators.
#
# Automatic labels are the machine's current reading of each contribution: principles in ContributionPrinciple with
# source "nlp" (score and words), the rest in AutomaticLabel (one row per contribution). They are written at
# submission, refreshed by each successful analysis run and after retraining, and never touch a human label
# (author or moderator rows, Contribution.theme_id).
#
# An AnalysisRun is one background analysis of a consultation. Its results (RunTheme, RunContribution,
# RunOpinionGroup, and the run's own JSON columns) are written in ONE transaction with status "succeeded", so a
# crashed run leaves nothing half written and readers take the latest succeeded run. A report is built from these
# rows alone (consult.analysis.results.load_run_results), never by recomputing.


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class AutomaticLabel(SQLModel, table=True):
    """The nlp library's reading of one contribution, apart from the human labels (replaced as a whole)."""

    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", primary_key=True))
    theme_id: str | None = Field(default=None, foreign_key="theme.id", max_length=4)  # reference theme
    theme_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    theme_words: list[str] = Field(default_factory=list, sa_column=_json_column())
    # Lowest score among the theme and the principles given: the queue filters on it ("how sure").
    confidence: float | None = Field(default=None, sa_column=Column(Float, nullable=True, index=True))
    # [{"id": contribution id, "score": cosine}] best first: published contributions saying nearly the same.
    duplicate_candidates: list[dict] = Field(default_factory=list, sa_column=_json_column())
    # [{"field": "title"|"body", "start", "end", "type", "sensitive"}] in the stored text.
    personal_data: list[dict] = Field(default_factory=list, sa_column=_json_column())
    has_personal_data: bool = Field(default=False, index=True)
    has_duplicates: bool = Field(default=False, index=True)
    run_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("analysisrun.id", ondelete="SET NULL"), nullable=True)
    )  # None: labelled at submission or after retraining
    model_version: str = Field(default="", max_length=80)
    labelled_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())


class AnalysisRun(SQLModel, table=True):
    """One analysis of a consultation, run as a background job; results visible only once it has succeeded."""

    __table_args__ = (
        Index("ix_analysisrun_consultation", "consultation_id", "status", "id"),
        # At most one queued or running run per consultation, even when two people click at once.
        Index(
            "uq_analysisrun_active",
            "consultation_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=_cascade_fk("consultation.id", nullable=False))
    status: str = Field(default=RunStatus.QUEUED, max_length=10)
    requested_by_id: int | None = Field(default=None, foreign_key="user.id")
    retry_of_id: int | None = Field(default=None, foreign_key="analysisrun.id")
    job_id: str = Field(default="", max_length=64)
    backend: str = Field(default="", max_length=10)  # "thread" or "rq"
    worker: str = Field(default="", max_length=120)  # host:pid that ran it
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    started_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
    heartbeat_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_datetime_column(nullable=True))
    progress: int = Field(default=0)  # percent
    step: str = Field(default="", max_length=40)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What the run read and how: enough to name it in a report and to tell whether the data changed since.
    parameters: dict = Field(default_factory=dict, sa_column=_json_column())
    versions: dict = Field(default_factory=dict, sa_column=_json_column())  # library, models, python packages
    timings: dict = Field(default_factory=dict, sa_column=_json_column())  # seconds per step, "total"
    fingerprint: str = Field(default="", max_length=64)  # sha256 of the analysed ids, texts and votes
    n_contributions: int = Field(default=0)
    n_votes: int = Field(default=0)
    n_participants: int = Field(default=0)
    peak_memory_mb: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # Counts for a dashboard: {"principles": {"P01": n}, "reference_themes": {...}, "duplicates": {...}, ...}.
    summary: dict = Field(default_factory=dict, sa_column=_json_column())
    # Opinion groups from votes, overall part: {"silhouette", "points": [[x, y, group], ...] (one per grouped
    # participant, no identity), "consensus": [...], "divisive": [...]}; empty without enough votes.
    opinions: dict = Field(default_factory=dict, sa_column=_json_column())


class RunTheme(SQLModel, table=True):
    """A theme (key "3") or an idea inside it (key "3.1") discovered by a run, with its verbatims."""

    __table_args__ = (UniqueConstraint("run_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=_cascade_fk("analysisrun.id", nullable=False))
    key: str = Field(max_length=12)
    parent_key: str | None = Field(default=None, max_length=12)  # the theme of an idea
    position: int = Field(default=0)  # by decreasing size
    label: str = Field(max_length=300)
    terms: list[str] = Field(default_factory=list, sa_column=_json_column())
    size: int = Field(default=0)
    reference_theme_id: str | None = Field(default=None, foreign_key="theme.id", max_length=4)
    reference_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    summary: list[str] = Field(default_factory=list, sa_column=_json_column())  # extractive, from verbatims
    # [{"contribution_id", "text" (personal data masked), "score"}]: central yet diverse contributions.
    verbatims: list[dict] = Field(default_factory=list, sa_column=_json_column())


class RunContribution(SQLModel, table=True):
    """What a run found about one contribution: theme, idea, principles, duplicate group, personal data."""

    run_id: int = Field(sa_column=_cascade_fk("analysisrun.id", primary_key=True))
    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", primary_key=True, index=True))
    status: str = Field(max_length=12)  # the contribution's status when analysed
    theme_key: str | None = Field(default=None, max_length=12)  # None: not in the theme corpus, or no content word
    theme_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    idea_key: str | None = Field(default=None, max_length=12)
    reference_theme_id: str | None = Field(default=None, max_length=4)
    reference_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    principles: list[dict] = Field(default_factory=list, sa_column=_json_column())  # [{"id", "score", "words"}]
    duplicate_of_id: int | None = Field(default=None)  # the kept contribution of its duplicate group
    personal_data: list[str] = Field(default_factory=list, sa_column=_json_column())  # span types found
    # Votes on it when the run read them, so that a report from this run keeps its figures (None: older runs).
    agree_count: int | None = Field(default=None)
    disagree_count: int | None = Field(default=None)
    pass_count: int | None = Field(default=None)


class RunOpinionGroup(SQLModel, table=True):
    """An opinion group found from the votes by a run: size, centre on the 2-D map, what sets it apart."""

    __table_args__ = (UniqueConstraint("run_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=_cascade_fk("analysisrun.id", nullable=False))
    number: int  # 0.. by decreasing size
    size: int
    center_x: float
    center_y: float
    # [{"contribution_id", "direction", "n_agree", "n_disagree", "n_seen", "agree_ratio", "repness", "p_value"}]
    representative: list[dict] = Field(default_factory=list, sa_column=_json_column())


class LabelModel(SQLModel, table=True):
    """A principle or theme classifier trained on the human labels, with its cross-validated quality."""

    __table_args__ = (Index("ix_labelmodel_kind", "kind", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)  # "principles" or "themes"
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    trained_by_id: int | None = Field(default=None, foreign_key="user.id")
    n_texts: int = Field(default=0)  # texts the model was fitted on
    n_labels: int = Field(default=0)  # human-labelled among them
    # {"macro_f1", "micro_f1", "per_label": {...}, "baseline": {...}, "folds", "n_labels"}
    metrics: dict = Field(default_factory=dict, sa_column=_json_column())
    versions: dict = Field(default_factory=dict, sa_column=_json_column())
    # The fitted estimator, pickled by consult.analysis (written and read only by this application).
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AssistantConversation(SQLModel, table=True):
    """A conversation with the assistant, stored so nothing is lost on reload; never shown to anyone else.

    Anonymous conversations belong to whoever holds `token` (kept in the visitor's session cookie); at sign-in
    the conversation is attached to the account. `state` is the dialogue's JSON (step, draft, votes shown).
    """

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    user_id: int | None = Field(default=None, sa_column=_cascade_fk("user.id", nullable=True, index=True))
    consultation_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("consultation.id", ondelete="SET NULL"), nullable=True),
    )
    state: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    # The retention purge erases conversations whose last message is older than the retention period.
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column(index=True))


class AssistantMessage(SQLModel, table=True):
    """One message of a conversation; the citizen's text is stored with personal data masked."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(sa_column=_cascade_fk("assistantconversation.id", nullable=False, index=True))
    role: str = Field(max_length=10)  # "citizen" or "assistant"
    kind: str = Field(default="", max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON: sources, cards, actions
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())


class ModerationAction(StrEnum):
    """What a moderation event records (the audit journal's vocabulary)."""

    PUBLISH = "publish"
    REJECT = "reject"
    MERGE = "merge"  # a duplicate merged into a kept contribution
    HIDE = "hide"
    RESTORE = "restore"  # a hidden item published again
    REDACT = "redact"  # personal data masked
    LABELS = "labels"  # theme or principles corrected
    TITLE = "title"  # title edited for clarity
    DISMISS_FLAGS = "dismiss_flags"  # flags reviewed, item kept as it is
    PURGE = "purge"  # the redacted original erased after its retention period


class ModerationEvent(SQLModel, table=True):
    """One moderation action, immutable (database triggers refuse UPDATE and DELETE).

    The target ids carry no foreign key: the journal outlives what it describes. `before` and `after`
    are JSON objects of the fields the action changed; they never hold redacted personal data.
    """

    __table_args__ = (
        Index("ix_moderation_event_journal", "created_at", "id"),
        Index("ix_moderation_event_contribution", "contribution_id", "created_at"),
        Index("ix_moderation_event_comment", "comment_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    moderator_id: int | None = Field(default=None, foreign_key="user.id", index=True)  # None: the system
    action: str = Field(max_length=20, index=True)
    consultation_id: int | None = Field(default=None, index=True)
    contribution_id: int | None = Field(default=None)
    comment_id: int | None = Field(default=None)
    before: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    after: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))


# The journal is append-only in the database itself, not only by convention of the code. The same statements are in
# the migration that creates the table.
IMMUTABLE_EVENTS_SQL = {
    "sqlite": [
        "CREATE TRIGGER moderationevent_no_update BEFORE UPDATE ON moderationevent "
        "BEGIN SELECT RAISE(ABORT, 'moderation events are immutable'); END",
        "CREATE TRIGGER moderationevent_no_delete BEFORE DELETE ON moderationevent "
        "BEGIN SELECT RAISE(ABORT, 'moderation events are immutable'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION moderationevent_immutable() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'moderation events are immutable'; END $$",
        "CREATE TRIGGER moderationevent_immutable BEFORE UPDATE OR DELETE ON moderationevent "
        "FOR EACH ROW EXECUTE FUNCTION moderationevent_immutable()",
    ],
}
for _dialect, _statements in IMMUTABLE_EVENTS_SQL.items():
    for _statement in _statements:
        event.listen(ModerationEvent.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


class RedactedOriginal(SQLModel, table=True):
    """The text of a contribution before a moderator masked personal data in it.

    Shown to moderators only, and erased (`consult purge`) once `purge_after` has passed.
    """

    id: int | None = Field(default=None, primary_key=True)
    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", nullable=False, index=True))
    title: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    redacted_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    purge_after: datetime = Field(sa_column=_datetime_column(index=True))


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    POLIS = "polis"  # a Pol.is open-data folder: comments.csv and votes.csv (or participants-votes.csv)
    DECIDIM = "decidim"  # a Decidim open-data proposals CSV


class ImportBatch(SQLModel, table=True):
    """Contributions (and votes) brought in from another channel by one all-or-nothing import."""

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=_cascade_fk("consultation.id", nullable=False, index=True))
    format: str = Field(max_length=10)
    source_name: str = Field(max_length=255)
    # SHA-256 of the source bytes: the same file is not imported twice into a consultation by mistake.
    fingerprint: str = Field(max_length=64, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    contribution_count: int = Field(default=0)
    vote_count: int = Field(default=0)
    participant_count: int = Field(default=0)
    redacted_count: int = Field(default=0)  # contributions whose personal data was masked


class ImportedContribution(SQLModel, table=True):
    """Where an imported contribution comes from: its batch, its id in the source and its line there."""

    contribution_id: int = Field(sa_column=_cascade_fk("contribution.id", primary_key=True))
    batch_id: int = Field(sa_column=_cascade_fk("importbatch.id", nullable=False, index=True))
    external_id: str | None = Field(default=None, max_length=200)
    line: int


class ImportedParticipant(SQLModel, table=True):
    """The account standing for a person of an imported source: no e-mail and no password, so no sign-in.

    external_id is the person's id in the source; None for the one account of a batch whose authors are
    not identified (a paper notebook, an anonymous CSV).
    """

    user_id: int = Field(sa_column=_cascade_fk("user.id", primary_key=True))
    batch_id: int = Field(sa_column=_cascade_fk("importbatch.id", nullable=False, index=True))
    external_id: str | None = Field(default=None, max_length=200)


class ImportTaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportTask(SQLModel, table=True):
    """A check or an import started from the analysts' page, run as a background job; the page follows it.

    The uploaded file is kept here (any worker can read it) until it is imported, or for a day (consult purge).
    """

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)  # random: the task's address
    consultation_id: int = Field(sa_column=_cascade_fk("consultation.id", nullable=False, index=True))
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_datetime_column())
    source_name: str = Field(max_length=255)
    format: str = Field(max_length=10)
    columns: dict = Field(default_factory=dict, sa_column=_json_column())
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    dry_run: bool = Field(default=True)
    status: str = Field(default=ImportTaskStatus.QUEUED, max_length=10)
    stage: str = Field(default="", max_length=20)
    progress: int = Field(default=0)  # percent
    report: dict | None = Field(default=None, sa_column=_json_column(nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    batch_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("importbatch.id", ondelete="SET NULL"), nullable=True)
    )
