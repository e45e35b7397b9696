"""What the notifier alerts about, and what it sent (the Alerts page).

The tickets of an at-risk or overdue alert are chosen by `subset_clause`, the same predicate the
counters' drill-down lists, so an alert and the counter it echoes never disagree about which
tickets they mean (and a change of the definition reaches both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, func, select

from db.schema import categories, departments, notifications, tickets
from queries.filters import Filters, at, subset_clause
from queries.frames import frame_of

T, N = tickets.c, notifications.c


def tickets_in(conn: Connection, f: Filters, subset: str,
               due_after: datetime | None = None) -> pd.DataFrame:
    """The tickets of `subset` (at_risk or overdue) as of `f.as_of`, within `f`'s dimensions,
    soonest due first: id, due, department code and names, category names. `due_after`: only
    those due after that instant (an overdue alert's tickets became overdue while watched)."""
    query = (
        select(T.external_id.label("id"), T.due_at.label("due"),
               departments.c.code.label("department"),
               departments.c.name.label("department_name"),
               departments.c.name_ru.label("department_name_ru"),
               categories.c.name.label("category_name"),
               categories.c.name_ru.label("category_name_ru"))
        .join(departments, departments.c.id == T.department_id)
        .join(categories, categories.c.id == T.category_id)
        .where(subset_clause(subset, f))
        .order_by(T.due_at, T.id)
    )
    if f.departments:
        query = query.where(departments.c.code.in_(f.departments))
    if due_after is not None:
        query = query.where(T.due_at > at(due_after))
    return frame_of(conn, query)


def category_departments(conn: Connection) -> dict[str, str]:
    """Each category's default department (codes): whose an incident or a spike is."""
    return {code: dept for code, dept in conn.execute(
        select(categories.c.code, departments.c.code)
        .join(departments, departments.c.id == categories.c.department_id))}


def department_names(conn: Connection) -> pd.DataFrame:
    """Every department: code, name, name_ru (to resolve a rules file's "code or name")."""
    return frame_of(conn, select(departments.c.code, departments.c.name, departments.c.name_ru)
                    .order_by(departments.c.code))


@dataclass(frozen=True)
class AlertFilters:
    """Which messages the Alerts page lists: of these kinds (none: all), to this recipient,
    in this state (pending, sent, failed), created at or after `since` and before `until`."""

    kinds: tuple[str, ...] = ()
    recipient: str | None = None
    state: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _log(f: AlertFilters):
    query = select(N.id, N.created_at, N.kind, N.recipient, N.channel, N.address, N.department,
                   N.key, N.body, N.state, N.sent_at, N.attempts, N.last_error, N.not_before)
    if f.kinds:
        query = query.where(N.kind.in_(f.kinds))
    if f.recipient:
        query = query.where(N.recipient == f.recipient)
    if f.state:
        query = query.where(N.state == f.state)
    if f.since is not None:
        query = query.where(N.created_at >= at(f.since))
    if f.until is not None:
        query = query.where(N.created_at < at(f.until))
    return query


def alert_page(conn: Connection, f: AlertFilters, page: int = 1,
               page_size: int = 50) -> tuple[pd.DataFrame, int]:
    """One page of the messages, newest first, and how many match in all."""
    base = _log(f)
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    query = base.order_by(N.created_at.desc(), N.id.desc())
    return frame_of(conn, query.offset(max(page - 1, 0) * page_size).limit(page_size)), total


def alert_rows(conn: Connection, f: AlertFilters, limit: int = 200_000) -> pd.DataFrame:
    """Every matching message (up to `limit`), newest first, for export."""
    return frame_of(conn, _log(f).order_by(N.created_at.desc(), N.id.desc()).limit(limit))


def alert_recipients(conn: Connection) -> list[str]:
    """The recipients messages were written for, for the filter's choices."""
    return list(conn.execute(select(N.recipient).distinct().order_by(N.recipient)).scalars())
