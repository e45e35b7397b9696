"""The audit log: who did what to which ticket, when and why — read from the ticket events,
which every action writes with its user, newest first and paged in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from db.schema import departments, ticket_events, tickets
from queries.frames import frame_of

E = ticket_events.c
_from = aliased(departments, name="from_department")
_to = aliased(departments, name="to_department")
_now_in = aliased(departments, name="ticket_department")


@dataclass(frozen=True)
class AuditFilters:
    """Which events: of these kinds (none: every kind), by this user (exact name), touching
    this department (code), at or after `since` and before `until`.

    An event touches a department when it moved a ticket from or to it; an event that moves
    nothing (received, accepted, resolved…) touches the department its ticket is in now.
    """

    kinds: tuple[str, ...] = ("reassigned",)
    actor: str | None = None
    department: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _base(f: AuditFilters) -> Select:
    query = (
        select(
            E.id, E.at, E.actor, E.kind,
            tickets.c.external_id.label("ticket"),
            _from.c.code.label("from_department"),
            _to.c.code.label("to_department"),
            E.note,
        )
        .select_from(ticket_events)
        .join(tickets, tickets.c.id == E.ticket_id)
        .outerjoin(_from, _from.c.id == E.from_department_id)
        .outerjoin(_to, _to.c.id == E.to_department_id)
    )
    if f.kinds:
        query = query.where(E.kind.in_(f.kinds))
    if f.actor:
        query = query.where(E.actor == f.actor)
    if f.since is not None:
        query = query.where(E.at >= f.since)
    if f.until is not None:
        query = query.where(E.at < f.until)
    if f.department:
        query = query.outerjoin(_now_in, _now_in.c.id == tickets.c.department_id).where(or_(
            _from.c.code == f.department, _to.c.code == f.department,
            and_(E.from_department_id.is_(None), E.to_department_id.is_(None),
                 _now_in.c.code == f.department)))
    return query


def audit_page(conn: Connection, f: AuditFilters, page: int = 1,
               page_size: int = 50) -> tuple[pd.DataFrame, int]:
    """One page of the events, newest first, and how many match in all."""
    base = _base(f)
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    query = base.order_by(E.at.desc(), E.id.desc())
    return frame_of(conn, query.offset(max(page - 1, 0) * page_size).limit(page_size)), total


def audit_rows(conn: Connection, f: AuditFilters, limit: int = 200_000) -> pd.DataFrame:
    """Every matching event (up to `limit`), newest first, for export."""
    return frame_of(conn, _base(f).order_by(E.at.desc(), E.id.desc()).limit(limit))


def audit_actors(conn: Connection, kinds: tuple[str, ...] = ()) -> list[str]:
    """The users who appear in the events (of these kinds), for the filter's choices."""
    query = select(E.actor).where(E.actor.is_not(None)).distinct().order_by(E.actor)
    if kinds:
        query = query.where(E.kind.in_(kinds))
    return list(conn.execute(query).scalars())
