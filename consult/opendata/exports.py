"""Open data export of a consultation in the Pol.is layout, anonymised and streamed.

What is published: the consultation's published contributions (masked texts as stored) and the votes on them.
People appear only as pseudonymous participant numbers (0, 1, … in the order of their account ids; never an
account id, a pseudonym or an e-mail); dates are cut to the day, so that a time of day cannot single anyone out.

Every file is produced row by row from server-side cursors: memory stays flat whatever the number of votes.
The one exception by nature is participants-votes.csv, a participants × statements matrix: above
`matrix_max_cells` cells it is left out (votes.csv holds the same votes) and the README says so.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, union
from sqlmodel import Session

from consult.models import Consultation, Contribution, Vote
from consult.opendata import polis
from consult.opendata.schema import LICENCE_TEXT, SCHEMA, readme_text
from consult.publication import PublicLinks, mask_personal_data, published_condition

SCREEN_ROWS = 1_000  # contributions screened for personal data at once
# Positions of the title and body in the rows of the comments query.
TITLE, BODY = 6, 7
CHUNK_ROWS = 2_000  # CSV rows written between two yields
FETCH_ROWS = 5_000  # rows fetched per round trip from the database
# Zip entries carry this date, so that the same data always gives the same archive bytes.
ZIP_DATE = (2000, 1, 1, 0, 0, 0)

FileStream = tuple[str, Iterator[str]]


@dataclass
class ExportCounts:
    contributions: int
    votes: int
    participants: int
    matrix_written: bool


def _day(value: datetime | None) -> tuple[str, str]:
    """(Pol.is timestamp in ms, ISO date) of the day of `value`, in UTC."""
    if value is None:
        return "", ""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    day = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return str(int(day.timestamp()) * 1000), day.date().isoformat()


def _csv_chunks(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _stream(session: Session, statement):
    return session.execute(statement.execution_options(yield_per=FETCH_ROWS))


def _masked(rows: Iterable) -> Iterator[tuple]:
    """Contribution rows (…, title, body, …) with personal data masked, screened a chunk at a time."""
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(tuple(row))
        if len(chunk) == SCREEN_ROWS:
            yield from _mask_chunk(chunk)
            chunk = []
    yield from _mask_chunk(chunk)


def _mask_chunk(chunk: list[tuple]) -> Iterator[tuple]:
    if not chunk:
        return
    texts = mask_personal_data([row[TITLE] for row in chunk] + [row[BODY] for row in chunk])
    for i, row in enumerate(chunk):
        yield (*row[:TITLE], texts[i], texts[len(chunk) + i], *row[BODY + 1 :])


class OpenDataExport:
    """The files of one consultation's open data, each produced lazily as text chunks."""

    def __init__(
        self, *, session: Session, consultation: Consultation, links: PublicLinks, matrix_max_cells: int, groups=None
    ):
        self.session = session
        self.consultation = consultation
        self.links = links
        self.matrix_max_cells = matrix_max_cells
        self.groups = groups  # number of opinion groups of the latest analysis, if any
        self.published = published_condition(consultation.id)
        self.participants = self._participants()
        self.statements = self._count(select(func.count()).select_from(Contribution).where(self.published))
        self.votes = self._count(
            select(func.count())
            .select_from(Vote)
            .join(Contribution, Contribution.id == Vote.contribution_id)
            .where(self.published)
        )

    @property
    def counts(self) -> ExportCounts:
        return ExportCounts(self.statements, self.votes, len(self.participants), self.matrix_fits)

    @property
    def matrix_fits(self) -> bool:
        return len(self.participants) * self.statements <= self.matrix_max_cells

    def _count(self, statement) -> int:
        return int(self.session.execute(statement).scalar_one())

    def _participants(self) -> dict[int, int]:
        """{account id: participant number}: authors of published contributions and voters on them."""
        authors = select(Contribution.author_id.label("user_id")).where(self.published)
        voters = select(Vote.user_id).join(Contribution, Contribution.id == Vote.contribution_id).where(self.published)
        people = union(authors, voters).subquery()
        rows = _stream(self.session, select(people.c.user_id).order_by(people.c.user_id))
        return {user_id: number for number, (user_id,) in enumerate(rows)}

    def files(self) -> Iterator[FileStream]:
        yield "README.md", iter([readme_text(self.consultation, self.links, self.counts, self.matrix_max_cells)])
        yield "LICENCE.md", iter([LICENCE_TEXT])
        yield "datapackage.json", self._datapackage()
        yield polis.SUMMARY, self._summary()
        yield polis.COMMENTS, self._comments()
        yield polis.VOTES, self._votes()
        if self.matrix_fits:
            yield polis.PARTICIPANTS_VOTES, self._matrix()

    # ----------------------------------------------------------------------------------------------

    def _summary(self) -> Iterator[str]:
        c = self.consultation
        rows = [
            ("topic", c.title),
            ("url", self.links.consultation(c.slug)),
            ("views", ""),
            (
                "voters",
                self._count(
                    select(func.count(func.distinct(Vote.user_id)))
                    .join(Contribution, Contribution.id == Vote.contribution_id)
                    .where(self.published)
                ),
            ),
            (
                "commenters",
                self._count(select(func.count(func.distinct(Contribution.author_id))).where(self.published)),
            ),
            ("comments", self.statements),
            ("votes", self.votes),
            ("groups", "" if self.groups is None else self.groups),
            ("conversation-description", c.question),
            ("opens-at", _day(c.opens_at)[1]),
            ("closes-at", _day(c.closes_at)[1]),
            ("license", "Licence Ouverte / Open Licence version 2.0 (etalab-2.0)"),
        ]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        yield buffer.getvalue()

    def _comments(self) -> Iterator[str]:
        statement = (
            select(
                Contribution.id,
                Contribution.author_id,
                Contribution.created_at,
                Contribution.agree_count,
                Contribution.disagree_count,
                Contribution.pass_count,
                Contribution.title,
                Contribution.body,
                Contribution.theme_id,
                Contribution.channel,
            )
            .where(self.published)
            .order_by(Contribution.id)
        )
        rows = (
            (
                *_day(created),
                cid,
                self.participants[author],
                agree,
                disagree,
                1,  # moderated in (published)
                body,
                title,
                passes,
                theme or "",
                channel,
                self.links.contribution(cid),
            )
            for cid, author, created, agree, disagree, passes, title, body, theme, channel in _masked(
                _stream(self.session, statement)
            )
        )
        return _csv_chunks((*polis.COMMENT_COLUMNS, *polis.EXTRA_COMMENT_COLUMNS), rows)

    def _votes(self) -> Iterator[str]:
        statement = (
            select(Vote.updated_at, Vote.contribution_id, Vote.user_id, Vote.value)
            .join(Contribution, Contribution.id == Vote.contribution_id)
            .where(self.published)
            .order_by(Vote.id)
        )
        rows = (
            (*_day(when), cid, self.participants[user], value)
            for when, cid, user, value in _stream(self.session, statement)
        )
        return _csv_chunks(polis.VOTE_COLUMNS, rows)

    def _statement_ids(self) -> list[int]:
        statement = select(Contribution.id).where(self.published).order_by(Contribution.id)
        return [cid for (cid,) in _stream(self.session, statement)]

    def _matrix(self) -> Iterator[str]:
        """One row per participant (account order), one column per statement; empty = not voted."""
        ids = self._statement_ids()
        column = {cid: i for i, cid in enumerate(ids)}
        authored: dict[int, int] = {}
        for (author,) in _stream(self.session, select(Contribution.author_id).where(self.published)):
            authored[author] = authored.get(author, 0) + 1
        statement = (
            select(Vote.user_id, Vote.contribution_id, Vote.value)
            .join(Contribution, Contribution.id == Vote.contribution_id)
            .where(self.published)
            .order_by(Vote.user_id, Vote.contribution_id)
        )
        votes = iter(_stream(self.session, statement))
        pending = next(votes, None)

        def rows():
            nonlocal pending
            for user, number in self.participants.items():
                cells = [""] * len(ids)
                agree = disagree = seen = 0
                while pending is not None and pending[0] == user:
                    _, cid, value = pending
                    cells[column[cid]] = str(value)
                    seen += 1
                    agree += value == 1
                    disagree += value == -1
                    pending = next(votes, None)
                yield (number, "", authored.get(user, 0), seen, agree, disagree, *cells)

        return _csv_chunks((*polis.PARTICIPANT_COLUMNS, *map(str, ids)), rows())

    def _datapackage(self) -> Iterator[str]:
        resources = []
        for name, table in SCHEMA.items():
            if name == polis.PARTICIPANTS_VOTES and not self.matrix_fits:
                continue
            fields = [dict(field) for field in table["fields"]]
            if name == polis.PARTICIPANTS_VOTES:
                fields += [
                    {"name": str(cid), "type": "integer", "description": f"Vote sur la contribution {cid}"}
                    for cid in self._statement_ids()
                ]
            resource = {
                "name": name.removesuffix(".csv"),
                "path": name,
                "title": table["title"],
                "description": table["description"],
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields},
            }
            if name == polis.SUMMARY:
                resource["dialect"] = {"header": False}
            resources.append(resource)
        package = {
            "profile": "tabular-data-package",
            "name": f"consultation-{self.consultation.slug}",
            "title": self.consultation.title,
            "description": self.consultation.question,
            "homepage": self.links.consultation(self.consultation.slug),
            "licenses": [
                {
                    "name": "etalab-2.0",
                    "title": "Licence Ouverte / Open Licence version 2.0",
                    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
                }
            ],
            "resources": resources,
        }
        yield json.dumps(package, ensure_ascii=False, indent=2) + "\n"


def write_directory(export: OpenDataExport, directory) -> list[str]:
    """Write the files into `directory` (created if missing); return their names."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    for name, chunks in export.files():
        with open(directory / name, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
        names.append(name)
    stale = directory / polis.PARTICIPANTS_VOTES
    if polis.PARTICIPANTS_VOTES not in names and stale.exists():
        stale.unlink()  # from an earlier, smaller export into the same folder
    return names


class _Pipe(io.RawIOBase):
    """A write-only stream whose bytes are collected and handed out by `drain` (for a streamed zip)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def zip_stream(export: OpenDataExport, folder: str) -> Iterator[bytes]:
    """The files as a zip archive, produced piece by piece (the archive is never whole in memory)."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, chunks in export.files():
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as entry:
                for chunk in chunks:
                    entry.write(chunk.encode("utf-8"))
                    data = pipe.drain()
                    if data:
                        yield data
    yield pipe.drain()
