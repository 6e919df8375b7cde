"""Retention: what the privacy notice promises to erase, and when, as purges run by `consult purge`.

Each feature that keeps data for a limited time registers one purge here, next to the data it owns:

    @register_purge("expired login sessions")
    def purge_sessions(*, session, now, dry_run) -> int: ...

A purge counts (dry_run=True) or erases (dry_run=False) what is due at `now`, flushes and returns how
many records it concerns; it never commits. `consult purge` runs them all, each in its own transaction,
prints one count per purge, and is meant to run daily (cron or systemd timer: see the README).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session


class Purge(Protocol):
    def __call__(self, *, session: Session, now: datetime, dry_run: bool) -> int: ...


PURGES: dict[str, Purge] = {}


def register_purge(name: str, fn: Purge | None = None) -> Callable[[Purge], Purge] | Purge:
    """Register `fn` under `name` (shown by `consult purge`); usable as a decorator."""

    def register(purge: Purge) -> Purge:
        if name in PURGES and PURGES[name] is not purge:
            raise ValueError(f"a purge named {name!r} is already registered")
        PURGES[name] = purge
        return purge

    return register(fn) if fn is not None else register


@dataclass
class PurgeResult:
    name: str
    count: int | None  # None when the purge failed
    error: str | None = None


def run_purges(
    *, open_session: Callable[[], Session], now: datetime, dry_run: bool, only: set[str] | None = None
) -> list[PurgeResult]:
    """Run every registered purge in its own transaction (rolled back on dry runs and failures).

    One failing purge does not stop the others: the failure is reported and the next one runs.
    """
    results = []
    for name, purge in sorted(PURGES.items()):
        if only is not None and name not in only:
            continue
        with open_session() as session:
            try:
                count = purge(session=session, now=now, dry_run=dry_run)
            except Exception as exc:  # reported to the operator, who sees the others' counts too
                session.rollback()
                results.append(PurgeResult(name, None, f"{type(exc).__name__}: {exc}"))
                continue
            if dry_run:
                session.rollback()
            else:
                session.commit()
            results.append(PurgeResult(name, count))
    return results
