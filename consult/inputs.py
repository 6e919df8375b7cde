"""What any request may carry, checked once for every route: ids the database can hold, text without control
characters. Out-of-range input gets a 404 or a 400, never a database error (a 500 whose log would hold the
values).

- `<int:…>` in a URL matches only ids up to the largest 32-bit integer: PostgreSQL's `integer` columns (which
  SQLModel's `int` ids are) refuse anything larger, and SQLite's 64-bit ids never reach it in practice; beyond,
  the URL does not exist (404).
- Other URL parts never match control characters (404).
- Query and form values lose their control characters except tab and line breaks: a NUL byte cannot be
  stored by PostgreSQL, and nothing a person types contains one; the rest of the text is kept.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter

# The largest value of PostgreSQL's `integer` (int4) columns: every id and counter column of models.py.
MAX_DB_INT = 2**31 - 1
# C0 and C1 control characters, DEL, and lone surrogates (left by undecodable bytes), except \t \n \r.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Remove the control characters that no person types (keeps tabs and line breaks)."""
    return _CONTROL.sub("", value)


def db_int(value: object, *, low: int = 1, high: int = MAX_DB_INT) -> int | None:
    """`value` as an int between `low` and `high` (an id, a page number), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 10:
            return None
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        return None
    return value


MAX_CURSOR_LENGTH = 200


def cursor_key(value: object, key_type: type):
    """A pagination cursor's sort key, checked for what the database can compare, or ValueError.

    Cursors come back from the client: a huge integer, an infinite float or a date beyond year 9999 once
    moved to UTC would reach the database and fail there.
    """
    if key_type is datetime:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        if parsed is None or parsed.tzinfo is None:
            raise ValueError("an aware ISO date is expected")
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("date out of range") from exc
    if key_type is float:
        number = float(value) if type(value) in (int, float, str) else math.nan
        if not math.isfinite(number) or abs(number) > 1e300:
            raise ValueError("a finite number is expected")
        return number
    number = int(value) if type(value) in (int, str) else None
    if number is None or abs(number) > MAX_DB_INT:
        raise ValueError("an integer in the database's range is expected")
    return number


def cursor_id(value: object) -> int:
    """A pagination cursor's row id (1 … 2**31 − 1), or ValueError."""
    number = db_int(value) if type(value) in (int, str) else None
    if number is None:
        raise ValueError("an id is expected")
    return number


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to what an id column holds (1 … 2**31 − 1)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_DB_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class PrintableConverter(UnicodeConverter):
    """The default `<name>` converter, without control characters."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = None, length: int | None = None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f-\\x9f]")


class CleanParameters(ImmutableMultiDict):
    """Query and form values (and names) without control characters."""

    def __init__(self, mapping=None):
        if mapping is not None and not isinstance(mapping, dict | MultiDict):
            mapping = [(_clean(key), _clean(value)) for key, value in mapping]
        super().__init__(mapping)


def _clean(value):
    return clean_text(value) if isinstance(value, str) else value


class ConsultRequest(Request):
    parameter_storage_class = CleanParameters


def init_app(app: Flask) -> None:
    """Install the converters (before any blueprint adds its routes) and the cleaning request class."""
    app.request_class = ConsultRequest
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["default"] = PrintableConverter
    app.url_map.converters["string"] = PrintableConverter
