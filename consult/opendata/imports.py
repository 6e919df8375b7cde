"""Import contributions (and votes) from other channels into a consultation: a dry run first, then all or nothing.

Every problem is reported with its line before anything is written; a real import writes every row or none
(one transaction, committed by the caller). Imported texts go through the same personal-data screening as
the site's: masked, and flagged for moderators. They get the channel `import`, and their source (batch, id
and line in the file) is kept, so every figure computed from them leads back to the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import insert, or_
from sqlmodel import Session, select

from consult.analysis.services import find_personal_data_many
from consult.contributions.services import TITLE_MAX
from consult.i18n import lazy_gettext as _l
from consult.models import (
    Channel,
    Consultation,
    Contribution,
    ContributionStatus,
    Flag,
    ImportBatch,
    ImportedContribution,
    ImportedParticipant,
    ImportFormat,
    ModerationMode,
    Theme,
    User,
    Vote,
    utcnow,
)
from consult.opendata.polis import read_polis
from consult.opendata.sources import (
    Columns,
    Problem,
    Row,
    Source,
    SourceFiles,
    read_csv,
    read_decidim,
    read_json,
)
from consult.votes.services import consensus_score, divisive_score

READERS: dict[str, Callable[[SourceFiles, Columns], Source]] = {
    ImportFormat.CSV: read_csv,
    ImportFormat.JSON: read_json,
    ImportFormat.POLIS: read_polis,
    ImportFormat.DECIDIM: read_decidim,
}
# Longer than the site's limit (5,000): workshop transcripts and Grand débat answers run to 22,000 characters.
TEXT_MAX = 50_000
# A title made from the text: its first line, cut at a word before this length.
DERIVED_TITLE_MAX = 90
# The account that flags masked personal data on imported texts (it cannot sign in: no password).
SCREENING_EMAIL = "controle-import@consultation.invalid"
SCREENING_PSEUDONYM = "Contrôle automatique des imports"
SCREEN_CHUNK = 1_000  # texts screened between two progress reports
REJECTED_AT_SOURCE = "Écartée par la modération de la plateforme d'origine."

Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    """What an import found or did; `problems` block it, `notes` do not."""

    format: str
    source_name: str
    rows: int = 0
    votes: int = 0
    participants: int = 0
    redacted: int = 0
    redacted_kinds: list[str] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    batch: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def import_contributions(
    *,
    session: Session,
    consultation: Consultation,
    files: SourceFiles,
    fmt: str,
    columns: Columns | None = None,
    user: User | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Read, check and screen the source; unless it is a dry run or a problem was found, store everything."""
    progress = progress or (lambda stage, done, total: None)
    if fmt not in READERS:
        raise ValueError(f"unknown import format {fmt!r}")
    source = READERS[fmt](files, columns or Columns())
    progress("read", 1, 1)
    _check_against_database(session, consultation, source)
    _check_rows(source)
    report = ImportReport(format=fmt, source_name=files.name, problems=source.problems, notes=source.notes)
    masked = _screen(source, report, progress)
    report.rows = len(source.rows)
    report.votes = len(_latest_votes(source))
    report.participants = len(_participant_keys(source))
    statuses = [_status(row, consultation) for row in source.rows]
    report.by_status = {status: statuses.count(status) for status in sorted(set(statuses))}
    if dry_run or report.problems:
        return report
    report.batch = _store(session, consultation, source, files, user, masked, report, progress)
    return report


# --------------------------------------------------------------------------------------------------
# Checks


def _check_against_database(session: Session, consultation: Consultation, source: Source) -> None:
    previous = session.exec(
        select(ImportBatch).where(
            ImportBatch.consultation_id == consultation.id, ImportBatch.fingerprint == source.fingerprint
        )
    ).first()
    if previous is not None:
        source.problems.insert(
            0,
            Problem(
                str(
                    _l(
                        "ce fichier a déjà été importé dans cette consultation (import n° %(id)d du %(date)s).",
                        id=previous.id,
                        date=previous.created_at.strftime("%d/%m/%Y"),
                    )
                )
            ),
        )
    themes = {}
    for theme in session.exec(select(Theme)):
        themes[theme.id.lower()] = theme.id
        themes[theme.key.lower()] = theme.id
    for row in source.rows:
        if row.theme is not None:
            theme_id = themes.get(row.theme.strip().lower())
            if theme_id is None:
                source.problems.append(
                    Problem(
                        str(_l("thème « %(value)s » inconnu (identifiant T01 à T18 attendu).", value=row.theme[:40])),
                        line=row.line,
                        file=row.file,
                    )
                )
            row.theme = theme_id


def _check_rows(source: Source) -> None:
    repeated: list[int] = []
    seen: set[str] = set()
    for row in source.rows:
        if len(row.body) > TEXT_MAX:
            source.problems.append(
                Problem(
                    str(_l("texte trop long (%(n)d caractères, %(max)d au plus).", n=len(row.body), max=TEXT_MAX)),
                    line=row.line,
                    file=row.file,
                )
            )
        if row.external_id is not None:
            if row.external_id in seen:
                repeated.append(row.line)
            seen.add(row.external_id)
    if repeated:
        # Not a problem outside Pol.is (whose reader refuses them, votes point to them): the Grand débat's ids
        # are the md5 of the text, shared by identical answers to two questions. The line tells them apart.
        shown = ", ".join(str(line) for line in repeated[:10]) + ("…" if len(repeated) > 10 else "")
        source.notes.append(
            str(
                _l(
                    "%(n)d identifiant(s) déjà vu(s) plus haut (lignes %(lines)s) : chaque ligne est importée, "
                    "retrouvable par son numéro de ligne.",
                    n=len(repeated),
                    lines=shown,
                )
            )
        )
    source.problems.sort(key=lambda p: (p.file or "", p.line or 0))


def derive_title(body: str) -> str:
    """A title from the text: its first line, cut at a word boundary."""
    first = body.strip().split("\n", 1)[0].strip()
    if len(first) <= DERIVED_TITLE_MAX:
        return first
    cut = first[:DERIVED_TITLE_MAX].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return (cut or first[:DERIVED_TITLE_MAX]) + "…"


def _fit_title(title: str) -> str:
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"


def _screen(source: Source, report: ImportReport, progress: Progress) -> dict[int, list]:
    """Mask personal data in bodies and given titles; return {row index: kinds found (lazy strings)}."""
    texts = [row.body for row in source.rows] + [row.title for row in source.rows if row.title]
    with_title = [i for i, row in enumerate(source.rows) if row.title]
    found = []
    for start in range(0, len(texts), SCREEN_CHUNK):
        found.extend(find_personal_data_many(texts[start : start + SCREEN_CHUNK]))
        progress("screen", len(found), len(texts))
    masked: dict[int, list] = {}
    for i, row in enumerate(source.rows):
        if found[i] is not None:
            row.body = found[i].redacted
            masked.setdefault(i, []).extend(found[i].kinds)
    for position, i in enumerate(with_title):
        result = found[len(source.rows) + position]
        if result is not None:
            source.rows[i].title = result.redacted
            masked.setdefault(i, []).extend(result.kinds)
    for row in source.rows:
        row.title = _fit_title(row.title or derive_title(row.body))
    report.redacted = len(masked)
    report.redacted_kinds = sorted({str(kind) for kinds in masked.values() for kind in kinds})
    return masked


def _status(row: Row, consultation: Consultation) -> str:
    if row.status == ContributionStatus.PUBLISHED and consultation.moderation == ModerationMode.PRE:
        return ContributionStatus.PENDING
    return row.status


def _latest_votes(source: Source) -> dict[tuple[str, str], tuple]:
    """One vote per participant and statement: the latest (by time when known, else by line)."""
    latest: dict[tuple[str, str], tuple] = {}
    for vote in source.votes:
        key = (vote.participant, vote.statement)
        order = (vote.created_at.timestamp() if vote.created_at else float("-inf"), vote.line)
        if key not in latest or order >= latest[key][0]:
            latest[key] = (order, vote)
    return latest


def _participant_keys(source: Source) -> list[str | None]:
    """The people of the source: identified authors and voters; None stands for unidentified authors."""
    keys: dict[str | None, None] = {}
    for row in source.rows:
        keys.setdefault(row.author)
    for vote in source.votes:
        keys.setdefault(vote.participant)
    return list(keys)


# --------------------------------------------------------------------------------------------------
# Writing (one transaction; bulk INSERT ... RETURNING keeps the order of the rows)


def _store(
    session: Session,
    consultation: Consultation,
    source: Source,
    files: SourceFiles,
    user: User | None,
    masked: dict[int, list],
    report: ImportReport,
    progress: Progress,
) -> ImportBatch:
    now = utcnow()
    batch = ImportBatch(
        consultation_id=consultation.id,
        format=source.format,
        source_name=files.name[:255],
        fingerprint=source.fingerprint,
        created_by_id=user.id if user else None,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    people = _store_participants(session, batch, _participant_keys(source))
    latest = _latest_votes(source)
    counts: dict[str, list[int]] = {}
    for _, vote in latest.values():
        counts.setdefault(vote.statement, [0, 0, 0])[{1: 0, -1: 1, 0: 2}[vote.value]] += 1
    contribution_ids = _store_contributions(session, consultation, batch, source, people, counts, now)
    progress("contributions", len(contribution_ids), len(source.rows))
    by_external = {row.external_id: cid for row, cid in zip(source.rows, contribution_ids, strict=True)}
    vote_rows = [
        {
            "contribution_id": by_external[vote.statement],
            "user_id": people[vote.participant],
            "value": vote.value,
            "created_at": vote.created_at or now,
            "updated_at": vote.created_at or now,
        }
        for _, vote in sorted(latest.values(), key=lambda item: item[0])
    ]
    for start in range(0, len(vote_rows), 10_000):
        session.execute(insert(Vote), vote_rows[start : start + 10_000])
        progress("votes", min(start + 10_000, len(vote_rows)), len(vote_rows))
    _flag_masked(session, [(contribution_ids[i], kinds) for i, kinds in sorted(masked.items())], now)
    batch.contribution_count = len(contribution_ids)
    batch.vote_count = len(vote_rows)
    batch.participant_count = len(people)
    batch.redacted_count = report.redacted
    session.add(batch)
    session.flush()
    return batch


def _store_participants(session: Session, batch: ImportBatch, keys: list[str | None]) -> dict[str | None, int]:
    """One account per person of the source, and one for all unidentified authors; {source id: user id}."""
    if not keys:
        return {}
    users = [
        {
            # Stored data is in French, whatever the language of the page that ran the import.
            "pseudonym": f"Import {batch.id} · auteur non identifié"
            if key is None
            else f"Import {batch.id} · participant {n}",
            "role": "citizen",
            "created_at": batch.created_at,
            "session_version": 1,
        }
        for n, key in enumerate(keys, start=1)
    ]
    ids = session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), users).scalars().all()
    session.execute(
        insert(ImportedParticipant),
        [
            {"user_id": user_id, "batch_id": batch.id, "external_id": key[:200] if key else None}
            for user_id, key in zip(ids, keys, strict=True)
        ],
    )
    return dict(zip(keys, ids, strict=True))


def _store_contributions(
    session: Session,
    consultation: Consultation,
    batch: ImportBatch,
    source: Source,
    people: dict[str | None, int],
    counts: dict[str, list[int]],
    now: datetime,
) -> list[int]:
    values = []
    for row in source.rows:
        agree, disagree, passes = counts.get(row.external_id, (0, 0, 0)) if row.external_id else (0, 0, 0)
        total = agree + disagree + passes
        status = _status(row, consultation)
        created = row.created_at or now
        values.append(
            {
                "consultation_id": consultation.id,
                "author_id": people[row.author],
                "title": row.title,
                "body": row.body,
                "theme_id": row.theme,
                "status": status,
                "rejection_reason": REJECTED_AT_SOURCE if status == ContributionStatus.REJECTED else None,
                "channel": Channel.IMPORT,
                "created_at": created,
                "updated_at": now,
                "published_at": created if status == ContributionStatus.PUBLISHED else None,
                "agree_count": agree,
                "disagree_count": disagree,
                "pass_count": passes,
                "vote_count": total,
                "consensus_score": consensus_score(agree, disagree, total),
                "divisive_score": divisive_score(agree, disagree),
            }
        )
    ids: list[int] = []
    for start in range(0, len(values), 5_000):
        statement = insert(Contribution).returning(Contribution.id, sort_by_parameter_order=True)
        ids.extend(session.execute(statement, values[start : start + 5_000]).scalars().all())
    session.execute(
        insert(ImportedContribution),
        [
            {
                "contribution_id": cid,
                "batch_id": batch.id,
                "external_id": (row.external_id or "")[:200] or None,
                "line": row.line,
            }
            for cid, row in zip(ids, source.rows, strict=True)
        ],
    )
    return ids


def _flag_masked(session: Session, masked: list[tuple[int, list]], now: datetime) -> None:
    """Flag each contribution whose personal data was masked, so a moderator checks the masked text."""
    if not masked:
        return
    screener = screening_account(session=session)
    with force_locale("fr"):  # stored in French, whatever the language of the page that ran the import
        masked = [(cid, sorted({str(kind) for kind in kinds})) for cid, kinds in masked]
    session.execute(
        insert(Flag),
        [
            {
                "user_id": screener.id,
                "contribution_id": cid,
                "reason": "donnees_personnelles",
                "details": f"Masquées automatiquement à l'import : {', '.join(kinds)}."[:1000],
                "created_at": now,
            }
            for cid, kinds in masked
        ],
    )
    table = Contribution.__table__
    ids = [cid for cid, _ in masked]
    for start in range(0, len(ids), 5_000):
        session.execute(
            table.update().where(table.c.id.in_(ids[start : start + 5_000])).values(flag_count=table.c.flag_count + 1)
        )


def screening_account(*, session: Session) -> User:
    """The account that flags imported personal data; created on first use, never able to sign in."""
    account = session.exec(
        select(User).where(or_(User.email == SCREENING_EMAIL, User.pseudonym == SCREENING_PSEUDONYM))
    ).first()
    if account is not None:
        if account.password_hash is not None:
            raise RuntimeError(f"{SCREENING_EMAIL} / {SCREENING_PSEUDONYM} is taken by an account that can sign in")
        return account
    account = User(email=SCREENING_EMAIL, pseudonym=SCREENING_PSEUDONYM, role="citizen")
    session.add(account)
    session.flush()
    return account


def recent_batches(*, session: Session, consultation: Consultation, limit: int = 20) -> list[ImportBatch]:
    """The consultation's latest imports, newest first."""
    return list(
        session.exec(
            select(ImportBatch)
            .where(ImportBatch.consultation_id == consultation.id)
            .order_by(ImportBatch.id.desc())
            .limit(limit)
        )
    )
