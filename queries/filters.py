"""What a view looks at: the as-of instant, the dimensions, and the predicates of each figure.

Every figure on every page is built from the predicates here, so a counter and the table behind
it can never disagree about which tickets they mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, literal, or_, select, true

from db.schema import (
    OPEN_STATUSES,
    STATUSES,
    categories,
    channels,
    departments,
    districts,
    tickets,
)
from db.types import UTCDateTime, mostly_true

T = tickets.c
WEEK = timedelta(days=7)

SUBSETS = (
    "all",
    "open",
    "overdue",
    "at_risk",
    "received_today",
    "resolved_today",
    "received_7d",
    "resolved_7d",
)


@dataclass(frozen=True)
class Filters:
    """A view's scope. Hashable, so it can key a cache; `as_of` is always explicit."""

    as_of: datetime
    tz: str = "Europe/Moscow"
    at_risk: timedelta = timedelta(hours=2)
    departments: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = field(default=())
    period_from: datetime | None = None  # created at or after
    period_to: datetime | None = None  # created before

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise ValueError("as_of needs a time zone")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)


def at(value: datetime) -> ColumnElement:
    """An instant as a bound parameter of the instant type."""
    return literal(value, UTCDateTime())


def local_midnight(f: Filters) -> datetime:
    """The start of the city-local calendar day that holds `as_of`, as an aware instant."""
    local = f.as_of.astimezone(f.zone)
    return datetime.combine(local.date(), time(0), tzinfo=f.zone)


def dimension_clauses(f: Filters) -> list[ColumnElement[bool]]:
    """Department, district, category and channel filters (by code)."""
    clauses = []
    for column, table, codes in (
        (T.department_id, departments, f.departments),
        (T.district_id, districts, f.districts),
        (T.category_id, categories, f.categories),
        (T.channel_id, channels, f.channels),
    ):
        if codes:
            clauses.append(column.in_(ids_of(table, codes)))
    return clauses


def ids_of(table, codes: tuple[str, ...]) -> Select:
    """The ids of a reference table's rows with these codes."""
    return select(table.c.id).where(table.c.code.in_(codes))


def status_at(f: Filters) -> ColumnElement[str]:
    """The status each ticket had at `as_of`, from its instants."""
    t = at(f.as_of)
    return case(
        (T.rejected_at <= t, "rejected"),
        (T.closed_at <= t, "closed"),
        (T.resolved_at <= t, "resolved"),
        (T.accepted_at <= t, "in_progress"),
        else_="new",
    )


def row_clauses(f: Filters) -> list[ColumnElement[bool]]:
    """Everything a table or the map filters by: existence at as_of, dimensions, status, period."""
    clauses = [mostly_true(T.created_at <= at(f.as_of)), *dimension_clauses(f), *status_clauses(f)]
    if f.period_from is not None:
        clauses.append(T.created_at >= at(f.period_from))
    if f.period_to is not None:
        clauses.append(T.created_at < at(f.period_to))
    return clauses


def status_clauses(f: Filters) -> list[ColumnElement[bool]]:
    """The status filter in a form the indexes serve, not a CASE over every ticket.

    A ticket's status at as_of is open exactly when it had not ended by then (`ended_at` is the
    first of its resolved, closed and rejected instants), so open statuses read the open-work
    indexes and the others the `ended_at` one. Every status at once filters nothing.
    """
    wanted = set(f.statuses)
    if not wanted or wanted >= set(STATUSES):
        return []
    clauses = []
    if wanted <= set(OPEN_STATUSES):
        clauses.append(is_open(f))
    elif wanted.isdisjoint(OPEN_STATUSES):
        clauses.append(T.ended_at <= at(f.as_of))
    if wanted != set(OPEN_STATUSES):
        clauses.append(status_at(f).in_(sorted(wanted)))
    return clauses


def is_open(f: Filters) -> ColumnElement[bool]:
    """Open at as_of: created by then and not yet resolved, closed or rejected."""
    t = at(f.as_of)
    return and_(mostly_true(T.created_at <= t), or_(T.ended_at.is_(None), T.ended_at > t))


def is_overdue(f: Filters) -> ColumnElement[bool]:
    return and_(is_open(f), T.due_at < at(f.as_of))


def is_at_risk(f: Filters) -> ColumnElement[bool]:
    """Open, not overdue, and due within the warning window (due exactly now is at risk)."""
    return and_(is_open(f), T.due_at >= at(f.as_of), T.due_at <= at(f.as_of + f.at_risk))


def created_between(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Created in [start, end]."""
    return and_(T.created_at >= at(start), T.created_at <= at(end))


def resolved_between(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Resolved in [start, end]."""
    return and_(T.resolved_at >= at(start), T.resolved_at <= at(end))


def in_last_week(column, f: Filters) -> ColumnElement[bool]:
    """`column` in (as_of − 7 days, as_of]."""
    return and_(column > at(f.as_of - WEEK), column <= at(f.as_of))


def subset_clause(subset: str, f: Filters) -> ColumnElement[bool]:
    """The tickets behind one figure, for drill-down."""
    if subset not in SUBSETS:
        raise ValueError(f"unknown subset {subset!r}")
    midnight = local_midnight(f)
    return {
        "all": lambda: true(),
        "open": lambda: is_open(f),
        "overdue": lambda: is_overdue(f),
        "at_risk": lambda: is_at_risk(f),
        "received_today": lambda: created_between(midnight, f.as_of),
        "resolved_today": lambda: resolved_between(midnight, f.as_of),
        "received_7d": lambda: in_last_week(T.created_at, f),
        "resolved_7d": lambda: in_last_week(T.resolved_at, f),
    }[subset]()
