"""The Pol.is open-data layout, read (imports) and named (exports) in one place.

A conversation is a folder: comments.csv (one statement per row), votes.csv (one vote event per row, the
latest counts), participants-votes.csv (participants × statements) and summary.csv (key, value rows). Our
exports add columns after Pol.is's own (title, passes, theme-id, channel, url); readers of the Pol.is layout
look columns up by name, so the extra ones are harmless, and our importer reads them back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from consult.i18n import lazy_gettext as _l
from consult.models import ContributionStatus, ImportFormat
from consult.opendata.sources import Columns, Problem, Row, Source, SourceFiles, VoteRow, csv_records, decode

COMMENTS = "comments.csv"
VOTES = "votes.csv"
PARTICIPANTS_VOTES = "participants-votes.csv"
SUMMARY = "summary.csv"

COMMENT_COLUMNS = (
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
)
EXTRA_COMMENT_COLUMNS = ("title", "passes", "theme-id", "channel", "url")
VOTE_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
PARTICIPANT_COLUMNS = ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")
# Columns of participants-votes.csv that are not statements (xid appears in some Pol.is exports).
PARTICIPANT_META = frozenset((*PARTICIPANT_COLUMNS, "xid"))
MODERATED_OUT = "-1"


def read_polis(files: SourceFiles, columns: Columns) -> Source:
    """Statements from comments.csv; votes from votes.csv, else from participants-votes.csv."""
    source = Source(ImportFormat.POLIS, files.name, files.fingerprint)
    if COMMENTS not in files.files:
        found = ", ".join(sorted(files.files)) or "—"
        source.problems.append(
            Problem(
                str(
                    _l(
                        "dossier Pol.is incomplet : %(file)s manque (fichiers trouvés : %(found)s).",
                        file=COMMENTS,
                        found=found,
                    )
                )
            )
        )
        return source
    _read_comments(source, decode(files.files[COMMENTS], source, COMMENTS))
    if VOTES in files.files:
        _read_votes(source, decode(files.files[VOTES], source, VOTES))
    elif PARTICIPANTS_VOTES in files.files:
        _read_matrix(source, decode(files.files[PARTICIPANTS_VOTES], source, PARTICIPANTS_VOTES))
    else:
        source.notes.append(str(_l("Ni votes.csv ni participants-votes.csv : seules les déclarations sont importées.")))
    return source


def _header_index(source: Source, file: str, header: list[str], required: tuple[str, ...]) -> dict[str, int] | None:
    index = {name.strip(): i for i, name in enumerate(header)}
    missing = [name for name in required if name not in index]
    if missing:
        source.problems.append(
            Problem(str(_l("colonne(s) manquante(s) : %(names)s.", names=", ".join(missing))), line=1, file=file)
        )
        return None
    return index


def _cell(cells: list[str], index: dict[str, int], name: str) -> str:
    position = index.get(name)
    return cells[position].strip() if position is not None and position < len(cells) else ""


def _timestamp(value: str) -> datetime | None:
    """Pol.is timestamps are milliseconds since 1970 (UTC)."""
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC) if value else None
    except (ValueError, OverflowError, OSError):
        return None


def _read_comments(source: Source, text: str) -> None:
    records = csv_records(text, delimiter=",")
    header = next(records, (1, []))[1]
    index = _header_index(source, COMMENTS, header, ("comment-id", "comment-body"))
    if index is None:
        return
    seen: set[str] = set()
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        comment_id, body = _cell(cells, index, "comment-id"), _cell(cells, index, "comment-body")
        if not comment_id:
            source.problems.append(Problem(str(_l("comment-id vide.")), line=line, file=COMMENTS))
            continue
        if comment_id in seen:
            source.problems.append(
                Problem(str(_l("comment-id « %(id)s » en double.", id=comment_id[:40])), line=line, file=COMMENTS)
            )
            continue
        seen.add(comment_id)
        if not body:
            source.problems.append(Problem(str(_l("texte vide.")), line=line, file=COMMENTS))
            continue
        moderated_out = _cell(cells, index, "moderated") == MODERATED_OUT
        source.rows.append(
            Row(
                line=line,
                body=body,
                title=_cell(cells, index, "title"),
                external_id=comment_id,
                author=_cell(cells, index, "author-id") or None,
                theme=_cell(cells, index, "theme-id") or None,
                created_at=_timestamp(_cell(cells, index, "timestamp")),
                status=ContributionStatus.REJECTED if moderated_out else ContributionStatus.PUBLISHED,
                file=COMMENTS,
            )
        )


def _vote_value(source: Source, file: str, line: int, raw: str) -> int | None:
    if raw in ("1", "-1", "0"):
        return int(raw)
    source.problems.append(
        Problem(str(_l("vote « %(value)s » invalide (1, -1 ou 0 attendu).", value=raw[:20])), line=line, file=file)
    )
    return None


def _read_votes(source: Source, text: str) -> None:
    statements = {row.external_id for row in source.rows}
    records = csv_records(text, delimiter=",")
    header = next(records, (1, []))[1]
    index = _header_index(source, VOTES, header, ("comment-id", "voter-id", "vote"))
    if index is None:
        return
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        statement, participant = _cell(cells, index, "comment-id"), _cell(cells, index, "voter-id")
        value = _vote_value(source, VOTES, line, _cell(cells, index, "vote"))
        if value is None:
            continue
        if not participant:
            source.problems.append(Problem(str(_l("voter-id vide.")), line=line, file=VOTES))
        elif statement not in statements:
            source.problems.append(
                Problem(
                    str(_l("vote sur une déclaration inconnue (comment-id « %(id)s »).", id=statement[:40])),
                    line=line,
                    file=VOTES,
                )
            )
        else:
            created_at = _timestamp(_cell(cells, index, "timestamp"))
            source.votes.append(VoteRow(line, participant, statement, value, created_at))


def _read_matrix(source: Source, text: str) -> None:
    """participants-votes.csv: one row per participant, one column per statement; empty = not seen."""
    statements = {row.external_id for row in source.rows}
    records = csv_records(text, delimiter=",")
    header = [name.strip() for name in next(records, (1, []))[1]]
    index = _header_index(source, PARTICIPANTS_VOTES, header, ("participant",))
    if index is None:
        return
    statement_columns = [(i, name) for i, name in enumerate(header) if name not in PARTICIPANT_META]
    unknown = [name for _, name in statement_columns if name not in statements]
    if unknown:
        source.problems.append(
            Problem(
                str(_l("colonnes de déclarations inconnues de comments.csv : %(ids)s.", ids=", ".join(unknown[:10]))),
                line=1,
                file=PARTICIPANTS_VOTES,
            )
        )
        return
    for line, cells in records:
        participant = _cell(cells, index, "participant")
        if not participant:
            continue
        for position, statement in statement_columns:
            raw = cells[position].strip() if position < len(cells) else ""
            if raw:
                value = _vote_value(source, PARTICIPANTS_VOTES, line, raw)
                if value is not None:
                    source.votes.append(VoteRow(line, participant, statement, value))
