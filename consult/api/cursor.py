"""Opaque keyset-pagination cursors: base64url(JSON [sort, sort key, id])."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime


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
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, key, row_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor(cursor) from exc
    # bool is an int subclass: refuse it explicitly so `true` never passes for an id.
    if cursor_sort != sort or type(row_id) is not int:
        raise BadCursor(cursor)
    try:
        if key_type is datetime:
            key = datetime.fromisoformat(key) if isinstance(key, str) else None
            key = key.astimezone(UTC) if key and key.tzinfo else None
        elif key_type is float:
            key = float(key) if type(key) in (int, float) else None
        else:
            key = key if type(key) is int else None
    except ValueError as exc:
        raise BadCursor(cursor) from exc
    if key is None:
        raise BadCursor(cursor)
    return key, row_id
