"""Feeds that bring work in by themselves: their cursors and their health.

A feed (the Open311 sync of a dispatch system, a VK or Telegram connector) reads its cursor with
`cursor`, writes what it fetched and `advance`s the cursor in the SAME transaction, so the cursor
never moves past what was written and a restart resumes where it stopped. A failed run is
recorded with `fail` in a transaction of its own. `health` is what the pages show: the last
success, the lag, the last error, and whether the feed is stale (no success for 3 intervals).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from db.schema import feeds

F = feeds.c
STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class FeedHealth:
    """One feed as the pages show it."""

    name: str
    kind: str
    every_seconds: int
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_data_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    counts: dict[str, int]
    stale: bool
    failing: bool = False  # the latest run failed (a note of what it skipped is not a failure)


def ensure(conn: Connection, name: str, kind: str, every_seconds: int) -> None:
    """The feed's row, made on its first run; its interval follows the latest run's."""
    found = conn.execute(select(F.kind, F.every_seconds).where(F.name == name)).first()
    if found is None:
        conn.execute(insert(feeds).values(name=name, kind=kind, every_seconds=every_seconds))
    elif found.every_seconds != every_seconds:
        conn.execute(update(feeds).where(F.name == name).values(every_seconds=every_seconds))


def cursor(conn: Connection, name: str) -> dict[str, Any] | None:
    """The feed's cursor as it last advanced; None before its first success."""
    value = conn.execute(select(F.cursor).where(F.name == name)).scalar_one_or_none()
    return json.loads(value) if value else None


def advance(conn: Connection, name: str, now: datetime, new_cursor: Mapping[str, Any],
            counts: Mapping[str, int] | None = None, data_at: datetime | None = None,
            success: bool = True) -> None:
    """Moves the cursor and records a success; call it in the transaction that wrote the data.
    `counts` are added to the feed's totals; `data_at` is the newest source instant written.
    `success=False` moves the cursor within a run that has not finished yet (an attempt)."""
    row = conn.execute(select(F.counts, F.last_data_at).where(F.name == name)).one()
    totals = Counter(json.loads(row.counts) if row.counts else {})
    totals.update({k: v for k, v in (counts or {}).items() if v})
    newest = max((d for d in (row.last_data_at, data_at) if d is not None), default=None)
    done = {"last_success_at": now, "failing": False} if success else {}
    conn.execute(update(feeds).where(F.name == name).values(
        cursor=json.dumps(dict(new_cursor), sort_keys=True, default=str),
        last_attempt_at=now, last_data_at=newest,
        counts=json.dumps(dict(totals), sort_keys=True), **done))


def fail(conn: Connection, name: str, now: datetime, reason: str) -> None:
    """Records a failed run: one line, kept short. The cursor stays where it was."""
    line = " ".join(reason.split())[:500]
    conn.execute(update(feeds).where(F.name == name).values(
        last_attempt_at=now, last_error=line, last_error_at=now, failing=True))


def note(conn: Connection, name: str, reason: str) -> None:
    """Records what a run skipped or doubted as the feed's last error, dated with its latest
    attempt: shown on the Feeds page, yet the feed is not failing for it."""
    line = " ".join(reason.split())[:500]
    conn.execute(update(feeds).where(F.name == name).values(
        last_error=line, last_error_at=F.last_attempt_at))


def health(conn: Connection, now: datetime) -> list[FeedHealth]:
    """Every feed, by name; stale = no success within `STALE_AFTER_INTERVALS` intervals
    (counted from the first attempt when it never succeeded)."""
    result = []
    for row in conn.execute(select(feeds).order_by(F.name)):
        since = row.last_success_at or row.last_attempt_at
        stale = since is not None and now - since > timedelta(
            seconds=STALE_AFTER_INTERVALS * row.every_seconds)
        result.append(FeedHealth(
            name=row.name, kind=row.kind, every_seconds=row.every_seconds,
            last_attempt_at=row.last_attempt_at, last_success_at=row.last_success_at,
            last_data_at=row.last_data_at, last_error=row.last_error,
            last_error_at=row.last_error_at,
            counts=json.loads(row.counts) if row.counts else {}, stale=stale,
            failing=row.failing))
    return result
