"""CSV (one row per contribution: the data behind every figure) and JSON (the whole synthesis), byte-stable."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from consult.reports.synthesis import Synthesis
from consult.reports.tables import sheets

JSON_FORMAT_VERSION = 1


def render_json(synthesis: Synthesis) -> bytes:
    document = {"format_version": JSON_FORMAT_VERSION, **dataclasses.asdict(synthesis)}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_csv(synthesis: Synthesis) -> bytes:
    """The "Contributions" table; UTF-8 with a byte order mark and ";" so that spreadsheets in French open it."""
    [table] = [sheet for sheet in sheets(synthesis) if sheet.name == "Contributions"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
