"""Flows over time, grouped by the city's local days, hours and weeks.

Bucket boundaries are local midnights (or hours) computed in Python and passed as parameters, so
both databases group the same way and a day across a daylight-saving change has its true length.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Connection, case, func, literal, select

from db.schema import tickets
from queries.filters import Filters, at, dimension_clauses, local_midnight

T = tickets.c


def day_starts(f: Filters, days: int) -> list[datetime]:
    """Local midnights of the last `days` days, oldest first; the last day ends at as_of."""
    today = f.as_of.astimezone(f.zone).date()
    return [
        datetime.combine(today - timedelta(days=k), time(0), tzinfo=f.zone)
        for k in range(days - 1, -1, -1)
    ]


def hour_starts(f: Filters) -> list[datetime]:
    """The local hours of today up to as_of (23 or 25 on a daylight-saving day)."""
    start = local_midnight(f).astimezone(UTC)
    hours, t = [], start
    while t <= f.as_of:
        hours.append(t)
        t += timedelta(hours=1)
    return hours


def week_starts(f: Filters, weeks: int) -> list[datetime]:
    """Local Monday midnights of the last `weeks` weeks, oldest first."""
    today = f.as_of.astimezone(f.zone).date()
    monday = today - timedelta(days=today.weekday())
    return [
        datetime.combine(monday - timedelta(weeks=k), time(0), tzinfo=f.zone)
        for k in range(weeks - 1, -1, -1)
    ]


def _bucket(column, starts: list[datetime]):
    """The index of the bucket that holds `column`: the last start at or before it."""
    whens = [(column >= at(s), literal(i)) for i, s in reversed(list(enumerate(starts)))]
    return case(*whens, else_=literal(-1))


def _counts(conn: Connection, f: Filters, column, starts: list[datetime]) -> list[int]:
    bucket = _bucket(column, starts).label("bucket")
    rows = conn.execute(
        select(bucket, func.count())
        .where(column >= at(starts[0]), column <= at(f.as_of), *dimension_clauses(f))
        .group_by(bucket)
    ).all()
    counts = [0] * len(starts)
    for index, n in rows:
        counts[int(index)] = int(n)
    return counts


def daily_flow(conn: Connection, f: Filters, days: int = 30) -> pd.DataFrame:
    """Received and resolved per local day over the last `days` days (today up to as_of)."""
    starts = day_starts(f, days)
    return pd.DataFrame(
        {
            "day": [s.date() for s in starts],
            "received": _counts(conn, f, T.created_at, starts),
            "resolved": _counts(conn, f, T.resolved_at, starts),
        }
    )


def hourly_flow(conn: Connection, f: Filters) -> pd.DataFrame:
    """Received and resolved per local hour of today, up to as_of."""
    starts = hour_starts(f)
    return pd.DataFrame(
        {
            "hour": [s.astimezone(f.zone) for s in starts],
            "received": _counts(conn, f, T.created_at, starts),
            "resolved": _counts(conn, f, T.resolved_at, starts),
        }
    )


def weekly_on_time(conn: Connection, f: Filters, weeks: int = 12) -> pd.DataFrame:
    """Per local week (Monday first): tickets resolved, of them on time, and the share in %."""
    starts = week_starts(f, weeks)
    bucket = _bucket(T.resolved_at, starts).label("bucket")
    rows = conn.execute(
        select(bucket, func.count(), func.sum(case((T.resolved_at <= T.due_at, 1), else_=0)))
        .where(T.resolved_at >= at(starts[0]), T.resolved_at <= at(f.as_of), *dimension_clauses(f))
        .group_by(bucket)
    ).all()
    resolved, on_time = [0] * weeks, [0] * weeks
    for index, n, ok in rows:
        resolved[int(index)], on_time[int(index)] = int(n), int(ok)
    frame = pd.DataFrame(
        {"week": [s.date() for s in starts], "resolved": resolved, "on_time": on_time}
    )
    frame["on_time_pct"] = (100.0 * frame["on_time"] / frame["resolved"]).where(
        frame["resolved"] > 0
    )
    return frame


DAY = timedelta(hours=24)


def last_day_starts(f: Filters) -> list[datetime]:
    """The buckets of the last 24 hours, (as_of − 24 h, as_of]: the window's own start, then each
    local hour that begins inside it (the first and the last bucket are partial hours). Hours are
    stepped in UTC, so a daylight-saving change gives its true number of buckets."""
    local = f.as_of.astimezone(f.zone)
    hour = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    start = f.as_of - DAY
    starts = []
    while hour > start:
        starts.append(hour)
        hour -= timedelta(hours=1)
    return [start, *reversed(starts)]


def last_day_flow(conn: Connection, f: Filters) -> pd.DataFrame:
    """Received and resolved in each local hour of the last 24 hours, (as_of − 24 h, as_of]:
    the meeting screen's flow, which is never near-empty just after midnight. `hour` is the
    local hour each bucket belongs to."""
    starts = last_day_starts(f)
    received, resolved = (_window_counts(conn, f, column, starts)
                          for column in (T.created_at, T.resolved_at))
    hours = [s.astimezone(f.zone).replace(minute=0, second=0, microsecond=0) for s in starts]
    return pd.DataFrame({"hour": hours, "received": received, "resolved": resolved})


def _window_counts(conn: Connection, f: Filters, column, starts: list[datetime]) -> list[int]:
    """Counts per bucket of `column` in (starts[0], as_of]: the window's start is excluded."""
    bucket = _bucket(column, starts).label("bucket")
    rows = conn.execute(
        select(bucket, func.count())
        .where(column > at(starts[0]), column <= at(f.as_of), *dimension_clauses(f))
        .group_by(bucket)
    ).all()
    counts = [0] * len(starts)
    for index, n in rows:
        counts[int(index)] = int(n)
    return counts
