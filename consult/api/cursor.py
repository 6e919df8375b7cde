"""Opaque keyset-pagination cursors: base64url(JSON [sort, sort key, id])."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from consult.inputs import MAX_CURSOR_LENGTH, cursor_id, cursor_key


class BadCursor(ValueError):
    """The cursor was not produced by this API for the same sort order."""


def encode_cursor(sort: str, key: object, row_id: int) -> str:
    if isinstance(key, datetime):
        # SQLite hands back naive datetimes; they are UTC, so make the text form unambiguous.
        key = (key if key.tzinfo else key.replace(tzinfo=UTC)).isoformat()
    raw = json.dumps([sort, key, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, sort: str, key_type: type) -> tuple[object, int]:
    """Return (sort key, id) or raise BadCursor; `key_type` is int, float or datetime."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise BadCursor(cursor[:MAX_CURSOR_LENGTH])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, key, row_id = json.loads(raw)
    # A deeply nested document makes the JSON decoder recurse too deep.
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise BadCursor(cursor) from exc
    # bool is an int subclass: refuse it explicitly so `true` never passes for an id or a key.
    if cursor_sort != sort or type(row_id) is not int or (key_type is not datetime and type(key) is str):
        raise BadCursor(cursor)
    try:
        return cursor_key(key, key_type), cursor_id(row_id)
    except (ValueError, TypeError) as exc:
        raise BadCursor(cursor) from exc
