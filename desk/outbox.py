"""The alerts' outbox: what the notifier owes each recipient, and what became of it.

"Exactly once" rests on two writes of the database, never on a notifier's memory:
- `record` writes a message's row under its unique (kind, key, recipient, channel) before
  anything is sent; a second notifier, or the same one after a restart, finds the row there and
  adds nothing;
- `claim` takes the rows due now for a short lease in one UPDATE guarded by the lease, so two
  notifiers never both hold a row; the holder then marks it `delivered` or `failed` (retried
  later with backoff). A notifier killed while holding rows leaves their lease to lapse, and the
  next pass takes them again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from db.schema import notifications

N = notifications.c
LEASE = timedelta(minutes=5)  # longer than any delivery's timeouts together
MAX_ATTEMPTS = 8  # then the message is given up as failed (and stays on the Alerts page)
FIRST_BACKOFF = timedelta(minutes=1)  # doubled after each failure
LONGEST_BACKOFF = timedelta(hours=1)
UNIQUE = ["kind", "key", "recipient", "channel"]


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4… minutes, at most an hour."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), LONGEST_BACKOFF)


def record(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Writes each message not recorded before (by its unique key); returns how many were new."""
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)
    new = 0
    for row in rows:
        values = dict(row)
        if isinstance(values.get("payload"), dict):
            values["payload"] = json.dumps(values["payload"], sort_keys=True)
        result = conn.execute(insert(notifications).values(**values)
                              .on_conflict_do_nothing(index_elements=UNIQUE))
        new += result.rowcount or 0
    return new


def _due(now: datetime):
    return and_(N.state == "pending", N.not_before <= now,
                or_(N.next_attempt_at.is_(None), N.next_attempt_at <= now),
                or_(N.claimed_until.is_(None), N.claimed_until < now))


def claim(conn: Connection, token: str, now: datetime, lease: timedelta = LEASE) -> list[Row]:
    """Takes every message due at `now` that no one holds, for `lease`; returns the ones taken
    (oldest first). Call it in a transaction of its own, committed before delivering."""
    conn.execute(update(notifications).where(_due(now))
                 .values(claimed_by=token, claimed_until=now + lease))
    return list(conn.execute(select(notifications)
                             .where(N.claimed_by == token, N.state == "pending")
                             .order_by(N.created_at, N.id)))


def delivered(conn: Connection, ids: list[int], token: str, now: datetime) -> int:
    """Marks the held messages `ids` sent at `now`; returns how many were still held."""
    return conn.execute(update(notifications)
                        .where(N.id.in_(ids), N.claimed_by == token, N.state == "pending")
                        .values(state="sent", sent_at=now, claimed_by=None,
                                claimed_until=None)).rowcount


def failed(conn: Connection, ids: list[int], token: str, now: datetime, error: str) -> None:
    """One more failed attempt of the held messages `ids`: tried again after the backoff, or
    given up after MAX_ATTEMPTS. `error` must already be redacted; it is kept to one line."""
    line = " ".join(error.split())[:500]
    for row in conn.execute(select(N.id, N.attempts).where(
            N.id.in_(ids), N.claimed_by == token, N.state == "pending")).all():
        attempts = row.attempts + 1
        conn.execute(update(notifications).where(N.id == row.id).values(
            attempts=attempts, last_error=line, claimed_by=None, claimed_until=None,
            next_attempt_at=now + backoff(attempts),
            state="failed" if attempts >= MAX_ATTEMPTS else "pending"))


def hold(conn: Connection, ids: list[int], token: str, until: datetime) -> None:
    """Gives the held messages `ids` back, due again at `until` (a recipient's quiet hours)."""
    conn.execute(update(notifications)
                 .where(N.id.in_(ids), N.claimed_by == token, N.state == "pending")
                 .values(not_before=until, claimed_by=None, claimed_until=None))


def recent_payloads(conn: Connection, kind: str, since: datetime) -> dict[str, dict]:
    """key → payload of the messages of `kind` recorded since `since` (one per key)."""
    out: dict[str, dict] = {}
    for key, payload in conn.execute(select(N.key, N.payload).where(
            N.kind == kind, N.created_at >= since)):
        out.setdefault(key, json.loads(payload) if payload else {})
    return out


def keys(conn: Connection, kind: str, prefix: str = "") -> set[str]:
    """The keys of `kind` recorded so far (for any recipient) that start with `prefix`."""
    query = select(N.key).where(N.kind == kind).distinct()
    if prefix:
        query = query.where(N.key.startswith(prefix, autoescape=True))
    return set(conn.execute(query).scalars())


def outcome_counts(conn: Connection) -> dict[str, int]:
    """How many messages are sent, pending and failed, for the notifier's feed health."""
    return {state: int(n) for state, n in conn.execute(
        select(N.state, func.count()).group_by(N.state))}
