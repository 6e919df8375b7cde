"""Read contributions (and votes) from other channels: CSV, JSON, Pol.is open-data folders, Decidim CSV.

A reader turns the source's bytes into a `Source`: rows and votes, each with the line it comes from, and every
problem found, in French, with its line. Readers never stop at the first problem (a dry run lists them all)
and never touch the database: `consult.opendata.imports` checks what needs the database and stores.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from consult.i18n import lazy_gettext as _l
from consult.models import ContributionStatus, ImportFormat

# Naive dates in a source are French local time, as everywhere else on the platform.
LOCAL_TZ = ZoneInfo("Europe/Paris")
# Column names tried, in order, when the importer does not name the column (lower-cased, accents kept).
TEXT_COLUMNS = ("text", "texte", "body", "contenu", "contribution", "réponse", "reponse", "comment-body")
TITLE_COLUMNS = ("title", "titre")
ID_COLUMNS = ("id", "identifiant")
CSV_DELIMITERS = ",;\t"


@dataclass(frozen=True)
class Columns:
    """Which column holds what; None means "the usual name if present" for text, title and id, else absent."""

    text: str | None = None
    title: str | None = None
    id: str | None = None
    author: str | None = None
    theme: str | None = None
    date: str | None = None


@dataclass
class Row:
    """One contribution of the source."""

    line: int
    body: str
    title: str = ""
    external_id: str | None = None
    author: str | None = None  # the author's id in the source; None when unknown
    theme: str | None = None  # as written in the source (a reference theme id or key), checked on import
    created_at: datetime | None = None
    status: str = ContributionStatus.PUBLISHED  # Pol.is moderated out → rejected; Decidim withdrawn → withdrawn
    file: str | None = None  # the file of the source it comes from


@dataclass
class VoteRow:
    """One vote of the source: latest wins for a participant and a statement."""

    line: int
    participant: str
    statement: str  # the external id of the contribution voted on
    value: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class Problem:
    """Something that stops the import, with where it is."""

    message: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.line is not None:
            where.append(str(_l("ligne %(n)d", n=self.line)))
        return f"{', '.join(where)} : {self.message}" if where else str(self.message)


@dataclass
class Source:
    """What a reader found: rows, votes, problems (blocking) and notes (not blocking)."""

    format: str
    name: str
    fingerprint: str
    rows: list[Row] = field(default_factory=list)
    votes: list[VoteRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class SourceFiles:
    """The bytes of an import: one file, a folder or a zip archive (a Pol.is folder uploaded from the site)."""

    def __init__(self, name: str, files: dict[str, bytes]):
        self.name = name
        self.files = files

    @classmethod
    def from_path(cls, path: str | Path) -> SourceFiles:
        path = Path(path)
        if path.is_dir():
            return cls(path.name, {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()})
        return cls.from_bytes(path.name, path.read_bytes())

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> SourceFiles:
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                files = {
                    PurePosixPath(info.filename).name: archive.read(info)
                    for info in archive.infolist()
                    if not info.is_dir() and not PurePosixPath(info.filename).name.startswith(".")
                }
            return cls(name, files)
        return cls(name, {name: data})

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return digest.hexdigest()

    def single(self) -> tuple[str, bytes]:
        """The one file of a CSV, JSON or Decidim import (the first by name if an archive holds several)."""
        name = sorted(self.files)[0] if self.files else self.name
        return name, self.files.get(name, b"")


# --------------------------------------------------------------------------------------------------
# Shared helpers


def decode(data: bytes, source: Source, file: str) -> str:
    """UTF-8 (with or without BOM); UTF-16 with its BOM (a spreadsheet's « Unicode text »); Windows-1252, as
    spreadsheets save French CSV, with a note."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: the bytes are read as below
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        source.notes.append(str(_l("%(file)s : encodage Windows-1252 (et non UTF-8) détecté et converti.", file=file)))
        return data.decode("cp1252", errors="replace")


def csv_records(text: str, *, delimiter: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the record starts, cells); the header is the first record."""
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in CSV_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_date(value: str) -> datetime | None:
    """ISO 8601 (date or date and time) or JJ/MM/AAAA [HH:MM[:SS]]; naive values are Paris time. None if invalid."""
    value = value.strip()
    if not value:
        return None
    parsed = None
    try:
        parsed = datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    except ValueError:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", value)
        if match:
            day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
            try:
                parsed = datetime(year, month, day, hour, minute, second)
            except ValueError:
                return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    return parsed.astimezone(UTC)


def _pick(header: list[str], given: str | None, candidates: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    if given:
        return lowered.index(given.strip().lower()) if given.strip().lower() in lowered else None
    for name in candidates:
        if name in lowered:
            return lowered.index(name)
    return None


def _missing_column(source: Source, file: str, option: str, name: str | None, header: list[str]) -> None:
    available = ", ".join(h for h in header if h) or "—"
    if name:
        message = _l(
            "la colonne « %(name)s » n'existe pas (colonnes du fichier : %(available)s).",
            name=name,
            available=available,
        )
    else:
        message = _l(
            # Both the import page and the command read this: name the form's field as well as the option.
            "colonne du texte introuvable : indiquez-la (champ « Colonne du texte » de la page d'import, "
            "option %(option)s de la commande) parmi les colonnes du fichier : %(available)s.",
            option=option,
            available=available,
        )
    source.problems.append(Problem(str(message), line=1, file=file))


def _field(record: dict, key: str | None) -> str:
    if key is None:
        return ""
    value = record.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _row_from_mapping(source: Source, file: str, line: int, record: dict, keys: dict[str, str | None]) -> None:
    """Build a Row from a dict of raw values (a CSV record or a JSON object) and the chosen keys."""
    body = _field(record, keys["text"]).strip()
    if not body:
        source.problems.append(Problem(str(_l("texte vide.")), line=line, file=file))
        return
    created_at = None
    raw_date = _field(record, keys["date"]).strip()
    if raw_date:
        created_at = parse_date(raw_date)
        if created_at is None:
            source.problems.append(
                Problem(
                    str(_l("date illisible « %(value)s » (attendu AAAA-MM-JJ ou JJ/MM/AAAA).", value=raw_date[:40])),
                    line=line,
                    file=file,
                )
            )
            return
    source.rows.append(
        Row(
            line=line,
            body=body,
            title=_field(record, keys["title"]).strip(),
            external_id=_field(record, keys["id"]).strip() or None,
            author=_field(record, keys["author"]).strip() or None,
            theme=_field(record, keys["theme"]).strip() or None,
            created_at=created_at,
            file=file,
        )
    )


# --------------------------------------------------------------------------------------------------
# CSV and JSON (workshops, paper notebooks, other platforms' exports)


def read_csv(files: SourceFiles, columns: Columns) -> Source:
    file, data = files.single()
    source = Source(ImportFormat.CSV, files.name, files.fingerprint)
    records = csv_records(decode(data, source, file))
    header = next(records, (1, []))[1]
    keys = _csv_keys(source, file, header, columns)
    if keys is None:
        return source
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            source.problems.append(
                Problem(
                    str(_l("%(found)d colonnes au lieu de %(expected)d.", found=len(cells), expected=len(header))),
                    line=line,
                    file=file,
                )
            )
            continue
        _row_from_mapping(source, file, line, dict(zip(header, cells, strict=True)), keys)
    return source


def _csv_keys(source: Source, file: str, header: list[str], columns: Columns) -> dict[str, str | None] | None:
    """Map each field to its header name; report a missing named column or text column (None then)."""
    picks = {
        "text": _pick(header, columns.text, TEXT_COLUMNS),
        "title": _pick(header, columns.title, TITLE_COLUMNS),
        "id": _pick(header, columns.id, ID_COLUMNS),
        "author": _pick(header, columns.author, ()),
        "theme": _pick(header, columns.theme, ()),
        "date": _pick(header, columns.date, ()),
    }
    ok = True
    for key, option in (("text", "--text-column"), *((k, f"--{k}-column") for k in picks if k != "text")):
        given = getattr(columns, key)
        if picks[key] is None and (given or key == "text"):
            _missing_column(source, file, option, given, header)
            ok = False
    return {key: header[index] if index is not None else None for key, index in picks.items()} if ok else None


def read_json(files: SourceFiles, columns: Columns) -> Source:
    """A JSON array of objects (or {"contributions": [...]}); each object's line is where it starts."""
    file, data = files.single()
    source = Source(ImportFormat.JSON, files.name, files.fingerprint)
    text = decode(data, source, file)
    try:
        items = list(_json_array_items(text))
    except ValueError as exc:
        source.problems.append(Problem(str(_l("JSON invalide : %(error)s", error=str(exc))), file=file))
        return source
    objects = [(line, item) for line, item in items if isinstance(item, dict)]
    for line, item in items:
        if not isinstance(item, dict):
            source.problems.append(Problem(str(_l("un objet JSON est attendu.")), line=line, file=file))
    keys_seen = sorted({key for _, item in objects for key in item})
    keys = _csv_keys(source, file, keys_seen, columns)
    if keys is None:
        return source
    for line, item in objects:
        _row_from_mapping(source, file, line, item, keys)
    return source


def _json_array_items(text: str) -> Iterator[tuple[int, object]]:
    """Yield (line, value) for each element of the top-level array (or of its "contributions" key)."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if text.startswith("{", position):
        document = json.loads(text)
        items = document.get("contributions") if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise ValueError(str(_l("un tableau d'objets, ou un objet avec une clé « contributions », est attendu")))
        # Objects inside a wrapper: find each element's line by decoding the array in place.
        position = text.index("[", text.index('"contributions"'))
    elif not text.startswith("[", position):
        raise ValueError(str(_l("un tableau d'objets est attendu")))
    position = _skip_space(text, position + 1)
    line, counted = 1, 0
    while not text.startswith("]", position):
        line += text.count("\n", counted, position)
        counted = position
        value, position = decoder.raw_decode(text, position)
        yield line, value
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif not text.startswith("]", position):
            raise ValueError(str(_l("virgule ou « ] » attendu ligne %(n)d", n=1 + text.count("\n", 0, position))))


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


# --------------------------------------------------------------------------------------------------
# Decidim open-data proposals (CSV, ";" by default; nested fields flattened as "title/fr")

DECIDIM_LANGUAGES = ("fr", "en")


def read_decidim(files: SourceFiles, columns: Columns) -> Source:
    file, data = files.single()
    source = Source(ImportFormat.DECIDIM, files.name, files.fingerprint)
    records = csv_records(decode(data, source, file))
    header = next(records, (1, []))[1]
    lowered = [h.strip().lower() for h in header]
    body_key = columns.text or _decidim_column(lowered, "body")
    title_key = columns.title or _decidim_column(lowered, "title")
    if body_key is None or body_key.lower() not in lowered:
        _missing_column(source, file, "--text-column", columns.text, header)
        return source
    keys = {
        "text": header[lowered.index(body_key.lower())],
        "title": header[lowered.index(title_key.lower())] if title_key and title_key.lower() in lowered else None,
        "id": header[lowered.index("id")] if "id" in lowered else None,
        "author": header[lowered.index("author/id")] if "author/id" in lowered else None,
        "theme": None,
        "date": next((header[lowered.index(k)] for k in ("published_at", "created_at") if k in lowered), None),
    }
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            source.problems.append(
                Problem(
                    str(_l("%(found)d colonnes au lieu de %(expected)d.", found=len(cells), expected=len(header))),
                    line=line,
                    file=file,
                )
            )
            continue
        record = dict(zip(header, cells, strict=True))
        record[keys["text"]] = _plain_text(record[keys["text"]])
        before = len(source.rows)
        _row_from_mapping(source, file, line, record, keys)
        if len(source.rows) > before:
            row = source.rows[-1]
            withdrawn = record.get("withdrawn", "").strip().lower() == "true" or record.get("state", "") == "withdrawn"
            row.status = ContributionStatus.WITHDRAWN if withdrawn else ContributionStatus.PUBLISHED
    if any(h in lowered for h in ("votes", "supports", "proposal_votes_count")):
        source.notes.append(
            str(_l("Les nombres de soutiens de Decidim ne sont pas importés : le fichier ne dit pas qui a voté."))
        )
    return source


def _decidim_column(lowered: list[str], name: str) -> str | None:
    for language in DECIDIM_LANGUAGES:
        if f"{name}/{language}" in lowered:
            return f"{name}/{language}"
    return name if name in lowered else None


_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|div|li|h\d)>|<br\s*/?>", re.IGNORECASE)


def _plain_text(value: str) -> str:
    """Older Decidim exports hold the proposal body as HTML: keep the text and paragraph breaks."""
    if "<" not in value:
        return value
    text = _TAG.sub("", _BLOCK_END.sub("\n", value))
    return re.sub(r"\n{3,}", "\n\n", html.unescape(text)).strip()
