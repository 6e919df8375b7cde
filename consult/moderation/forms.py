"""Reading the moderation forms and the queue's query string into plain values (rules live in services)."""

from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from consult.inputs import MAX_DB_INT
from consult.models import ModerationAction
from consult.moderation.audit import JournalFilters
from consult.moderation.queue import SORTS, STATES, QueueFilters

MAX_BULK = 100
# "How sure was the machine": the queue shows the automatic labels whose confidence is at most this.
CONFIDENCE_LEVELS = {"faible": 0.3, "moyenne": 0.6}


def _int(value: str | None, *, low: int = 1, high: int = MAX_DB_INT) -> int | None:
    # Ids and versions are PostgreSQL integers: a larger number would fail in the database (a 500), not match.
    value = (value or "").strip().lstrip("#")
    if not value.isdigit() or not value.isascii():
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_queue_filters(args: MultiDict) -> QueueFilters:
    """Unknown values fall back to the defaults: a hand-edited URL never breaks the queue."""
    state, sort = args.get("state", ""), args.get("sort", "")
    return QueueFilters(
        state=state if state in STATES else "todo",
        consultation_id=_int(args.get("consultation")),
        theme=args.get("theme", "").strip()[:4],
        principle=args.get("principle", "").strip()[:4],
        flagged=args.get("flagged") == "1",
        personal_data=args.get("personal_data") == "1",
        duplicates=args.get("duplicates") == "1",
        max_confidence=CONFIDENCE_LEVELS.get(args.get("confidence", "")),
        sort=sort if sort in SORTS else "priority",
        page=_int(args.get("page"), high=100_000) or 1,
    )


def queue_query(filters: QueueFilters) -> dict[str, str]:
    """The query string of `filters` without its defaults (for links that keep the moderator's place)."""
    values = {
        "state": filters.state if filters.state != "todo" else "",
        "consultation": str(filters.consultation_id or ""),
        "theme": filters.theme,
        "principle": filters.principle,
        "flagged": "1" if filters.flagged else "",
        "personal_data": "1" if filters.personal_data else "",
        "duplicates": "1" if filters.duplicates else "",
        "confidence": next((k for k, v in CONFIDENCE_LEVELS.items() if v == filters.max_confidence), ""),
        "sort": filters.sort if filters.sort != "priority" else "",
        "page": str(filters.page) if filters.page > 1 else "",
    }
    return {key: value for key, value in values.items() if value}


def seen_version(form: MultiDict) -> int | None:
    return _int(form.get("version"), low=1)


def bulk_items(form: MultiDict) -> list[tuple[str, int, int]] | None:
    """The selected queue rows as (kind, id, version seen); None if any value is malformed."""
    items = []
    for value in form.getlist("items")[:MAX_BULK]:
        kind, _, rest = value.partition(":")
        item_id, _, version = rest.partition(":")
        item_id, version = _int(item_id), _int(version)
        if kind not in ("contribution", "comment") or item_id is None or version is None:
            return None
        items.append((kind, item_id, version))
    return items


def parse_journal_filters(args: MultiDict) -> JournalFilters:
    action = args.get("action", "")
    return JournalFilters(
        action=action if action in set(ModerationAction) else None,
        moderator_id=_int(args.get("moderator")),
        consultation_id=_int(args.get("consultation")),
        contribution_id=_int(args.get("contribution")),
        since=_date(args.get("since")),
        until=_date(args.get("until"), end_of_day=True),
        before_id=_int(args.get("before")),
    )


def _date(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    try:
        day = datetime.strptime((value or "").strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    if not 2000 <= day.year <= 2200:
        return None
    return day.replace(hour=23, minute=59, second=59) if end_of_day else day
