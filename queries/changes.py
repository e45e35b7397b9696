"""What the overview's counters are compared with: the same figures at the same local time
yesterday, and the medians of the previous 7 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from db.schema import tickets
from queries.counters import _count, median_seconds, open_counts
from queries.filters import (
    WEEK,
    Filters,
    created_between,
    dimension_clauses,
    local_midnight,
    resolved_between,
)

T = tickets.c


@dataclass(frozen=True)
class Baseline:
    """The counters' earlier values: `yesterday` is the same wall-clock time one local day
    before as_of; the medians are over the 7 days before the last 7."""

    yesterday: datetime
    open: int
    overdue: int
    at_risk: int
    received_today: int
    resolved_today: int
    median_accept_s_7d: float | None
    median_resolve_s_7d: float | None


def same_time_yesterday(f: Filters) -> datetime:
    """as_of's local wall-clock time on the local day before (23 or 25 hours earlier across a
    daylight-saving change)."""
    local = f.as_of.astimezone(f.zone)
    wall = local.replace(tzinfo=None) - timedelta(days=1)
    return wall.replace(tzinfo=f.zone)


def baseline(conn: Connection, f: Filters) -> Baseline:
    """The figures `counters(conn, f)` is compared with, within `f`'s dimensions."""
    then = f.with_(as_of=same_time_yesterday(f))
    open_, overdue, at_risk = open_counts(conn, then)
    midnight = local_midnight(then)
    dims = dimension_clauses(f)
    week_before = f.with_(as_of=f.as_of - WEEK)
    return Baseline(
        yesterday=then.as_of,
        open=open_,
        overdue=overdue,
        at_risk=at_risk,
        received_today=_count(conn, created_between(midnight, then.as_of), *dims),
        resolved_today=_count(conn, resolved_between(midnight, then.as_of), *dims),
        median_accept_s_7d=median_seconds(conn, week_before, T.created_at, T.accepted_at),
        median_resolve_s_7d=median_seconds(conn, week_before, T.created_at, T.resolved_at),
    )
