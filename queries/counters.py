"""The counters at the top of the overview and department pages."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Connection, and_, case, func, select

from db.schema import tickets
from db.types import seconds
from queries.filters import (
    WEEK,
    Filters,
    at,
    created_between,
    dimension_clauses,
    in_last_week,
    is_open,
    local_midnight,
    resolved_between,
)

T = tickets.c


@dataclass(frozen=True)
class Counters:
    open: int
    overdue: int
    at_risk: int
    received_today: int
    resolved_today: int
    on_time_pct_7d: float | None
    on_time_pct_prev_7d: float | None
    median_accept_s_7d: float | None
    median_resolve_s_7d: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def _count(conn: Connection, *where) -> int:
    return conn.execute(select(func.count()).select_from(tickets).where(*where)).scalar_one()


def open_counts(conn: Connection, f: Filters) -> tuple[int, int, int]:
    """(open, overdue, at risk) at as_of."""
    now, horizon = at(f.as_of), at(f.as_of + f.at_risk)
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((T.due_at < now, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((and_(T.due_at >= now, T.due_at <= horizon), 1), else_=0)), 0
            ),
        ).where(is_open(f), *dimension_clauses(f))
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def on_time_pct(conn: Connection, f: Filters, end_shift: int = 0) -> float | None:
    """Share (0–100) of tickets resolved in the week ending `end_shift` weeks before as_of
    that were resolved at or before their due instant; None when none were resolved."""
    window = f.with_(as_of=f.as_of - end_shift * WEEK)
    row = conn.execute(
        select(func.count(), func.sum(case((T.resolved_at <= T.due_at, 1), else_=0))).where(
            in_last_week(T.resolved_at, window), *dimension_clauses(f)
        )
    ).one()
    return None if not row[0] else 100.0 * int(row[1]) / int(row[0])


def median_seconds(conn: Connection, f: Filters, start_column, end_column) -> float | None:
    """Median of end − start over tickets whose `end_column` falls in the last 7 days.

    Exact on both databases (no percentile functions): count, then read the middle one or two
    values in order. An even count gives the mean of the two middle values.
    """
    where = [in_last_week(end_column, f), *dimension_clauses(f)]
    n = _count(conn, *where)
    if n == 0:
        return None
    duration = seconds(end_column, start_column)
    middle = (
        conn.execute(
            select(duration.label("d"))
            .where(*where)
            .order_by(duration)
            .offset((n - 1) // 2)
            .limit(2 - n % 2)
        )
        .scalars()
        .all()
    )
    return float(sum(middle) / len(middle))


def counters(conn: Connection, f: Filters) -> Counters:
    """Every counter of the overview, as of `f.as_of`, within `f`'s dimensions."""
    open_, overdue, at_risk = open_counts(conn, f)
    midnight = local_midnight(f)
    return Counters(
        open=open_,
        overdue=overdue,
        at_risk=at_risk,
        received_today=_count(conn, created_between(midnight, f.as_of), *dimension_clauses(f)),
        resolved_today=_count(conn, resolved_between(midnight, f.as_of), *dimension_clauses(f)),
        on_time_pct_7d=on_time_pct(conn, f),
        on_time_pct_prev_7d=on_time_pct(conn, f, end_shift=1),
        median_accept_s_7d=median_seconds(conn, f, T.created_at, T.accepted_at),
        median_resolve_s_7d=median_seconds(conn, f, T.created_at, T.resolved_at),
    )
