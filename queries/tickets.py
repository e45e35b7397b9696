"""Tables of tickets behind a figure (filtered, sorted and paged in the database), and a
ticket's card with its whole timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Select, func, or_, select, true
from sqlalchemy.orm import aliased

from db.links import is_web_link
from db.schema import categories, channels, departments, districts, ticket_events, tickets
from db.types import seconds
from queries.filters import Filters, at, row_clauses, status_at, subset_clause
from queries.frames import frame_of
from queries.map_points import Box
from queries.sla import deadline_of, with_working_left

T = tickets.c
SORTS = {
    "created": T.created_at,
    "due": T.due_at,
    "age": T.created_at,
    "department": departments.c.name,
    "category": categories.c.name,
    "district": districts.c.name,
    "status": T.status,
    "id": T.external_id,
}


# A ticket with the names of what it refers to, in both languages.
WITH_REFERENCES = (
    tickets.join(categories, categories.c.id == T.category_id)
    .join(departments, departments.c.id == T.department_id)
    .join(channels, channels.c.id == T.channel_id)
    .outerjoin(districts, districts.c.id == T.district_id)
)
REFERENCE_NAMES = (
    categories.c.name.label("category"),
    categories.c.name_ru.label("category_ru"),
    departments.c.code.label("department_code"),
    departments.c.name.label("department"),
    departments.c.name_ru.label("department_ru"),
    districts.c.name.label("district"),
    districts.c.name_ru.label("district_ru"),
    channels.c.name.label("channel"),
    channels.c.name_ru.label("channel_ru"),
)


@dataclass(frozen=True)
class TicketQuery:
    """Which tickets a table shows, in what order, and which page of them."""

    subset: str = "all"
    search: str = ""
    sort: str = "created"
    descending: bool = True
    page: int = 1
    page_size: int = 50
    box: Box | None = None  # a part of the map: only the tickets with coordinates inside
    ids: tuple[str, ...] = ()  # only these tickets (an incident's), by external id, when given


def _base(f: Filters, q: TicketQuery, where: ColumnElement[bool] | None = None) -> Select:
    query = (
        select(
            T.id,
            T.external_id,
            T.created_at,
            T.due_at,
            T.accepted_at,
            T.resolved_at,
            status_at(f).label("status"),
            T.priority,
            T.address,
            T.description,
            categories.c.code.label("category_code"),
            *REFERENCE_NAMES,
            T.source_url,
            T.version,
            seconds(T.due_at, f.as_of).label("time_left_s"),
            T.due_basis,
        )
        .select_from(WITH_REFERENCES)
        .where(*row_clauses(f), subset_clause(q.subset, f), true() if where is None else where)
    )
    if q.box is not None:
        query = query.where(T.lat.between(q.box.south, q.box.north),
                            T.lon.between(q.box.west, q.box.east))
    if q.ids:
        query = query.where(T.external_id.in_(q.ids))
    if q.search.strip():
        needle = f"%{q.search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(T.external_id).like(needle),
                func.lower(T.address).like(needle),
                func.lower(T.description).like(needle),
            )
        )
    return query


def ticket_page(conn: Connection, f: Filters, q: TicketQuery,
                where: ColumnElement[bool] | None = None) -> tuple[pd.DataFrame, int]:
    """One page of the tickets behind a figure (and `where`, a figure of another page's own),
    and how many there are in all."""
    base = _base(f, q, where)
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    query = _ordered(base, q).offset(max(q.page - 1, 0) * q.page_size).limit(q.page_size)
    return with_working_left(conn, frame_of(conn, query), f), total


def _ordered(query: Select, q: TicketQuery) -> Select:
    """The table's order: its sort, then the newest id first among equals."""
    order = SORTS.get(q.sort, T.created_at)
    descending = q.descending != (q.sort == "age")  # oldest first is "age descending"
    return query.order_by(order.desc() if descending else order.asc(), T.id.desc())


def ticket_rows(conn: Connection, f: Filters, q: TicketQuery, limit: int = 200_000,
                where: ColumnElement[bool] | None = None) -> pd.DataFrame:
    """Every ticket behind a figure (up to `limit`), for export: in the table's order, with
    the deadline's columns (`queries.sla`)."""
    query = _ordered(_base(f, q, where), q).limit(limit)
    return with_working_left(conn, frame_of(conn, query), f)


def oldest_open(conn: Connection, f: Filters, limit: int = 10) -> pd.DataFrame:
    """The tickets open longest as of as_of, oldest first."""
    query = _base(f, TicketQuery(subset="open")).order_by(T.created_at.asc(), T.id.asc())
    return frame_of(conn, query.limit(limit))


def latest(conn: Connection, f: Filters, limit: int = 10) -> pd.DataFrame:
    """The tickets received last (as of as_of, within f), newest first, with their status then:
    the meeting screen's ticker."""
    query = _base(f, TicketQuery()).order_by(T.created_at.desc(), T.id.desc()).limit(limit)
    return frame_of(conn, query)


def queue(conn: Connection, f: Filters, search: str = "", limit: int = 500) -> pd.DataFrame:
    """Open tickets by urgency: overdue first (longest overdue on top), then by time left."""
    query = (
        _base(f, TicketQuery(subset="open", search=search))
        .order_by(T.due_at.asc(), T.id.asc())
        .limit(limit)
    )
    return with_working_left(conn, frame_of(conn, query), f)


@dataclass(frozen=True)
class TicketCard:
    """Every field of one ticket, its photos and its timeline."""

    fields: dict
    photos: list[str]
    events: pd.DataFrame


def ticket_card(conn: Connection, external_id: str, f: Filters | None = None) -> TicketCard | None:
    """The card of the ticket with that external id as it was at `f.as_of` (now without `f`):
    its status then, its deadline's time left then (`queries.sla`), only the instants and
    events that had happened by then; None when there is no such ticket (or it came later)."""
    row = (
        conn.execute(
            select(
                tickets,
                *REFERENCE_NAMES,
                categories.c.sla_hours,
                channels.c.kind.label("channel_kind"),
            )
            .select_from(WITH_REFERENCES)
            .where(T.external_id == external_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    fields = dict(row)
    if f is None:
        f = Filters(as_of=datetime.now(UTC).replace(microsecond=0))
    if fields["created_at"] > f.as_of:
        return None
    for key in ("accepted_at", "resolved_at", "closed_at", "rejected_at"):
        if fields.get(key) is not None and fields[key] > f.as_of:
            fields[key] = None
    fields["status"] = lifecycle_status(fields)
    fields.update(deadline_of(conn, fields, f))
    fields["as_of"] = f.as_of
    photos = json.loads(fields["photo_urls"]) if fields.get("photo_urls") else []
    photos = [link for link in photos if is_web_link(link)]  # never a file on the server
    if not is_web_link(fields.get("source_url")):
        fields["source_url"] = None
    events = timeline(conn, fields["id"], f.as_of)
    fields["reopen_count"] = int((events["kind"] == "reopened").sum())
    return TicketCard(fields, photos, events)


def lifecycle_status(fields: dict) -> str:
    """The status its instants give (those after the as-of instant already removed)."""
    for key, status in (("rejected_at", "rejected"), ("closed_at", "closed"),
                        ("resolved_at", "resolved"), ("accepted_at", "in_progress")):
        if fields.get(key) is not None:
            return status
    return "new"


def timeline(conn: Connection, ticket_id: int, until: datetime | None = None) -> pd.DataFrame:
    """The ticket's events (those at or before `until`, if given) in the order they were
    recorded (their ids), each with its own instant (`at`: for an import or a sync, the source's
    `updated_datetime`, which may be older than a desk action recorded before it): so the story
    ends where the ticket is."""
    e = ticket_events.c
    source, target = aliased(departments), aliased(departments)
    query = (
        select(
            e.at,
            e.kind,
            e.actor,
            source.c.name.label("from_department"),
            source.c.name_ru.label("from_department_ru"),
            target.c.name.label("to_department"),
            target.c.name_ru.label("to_department_ru"),
            e.note,
        )
        .outerjoin(source, source.c.id == e.from_department_id)
        .outerjoin(target, target.c.id == e.to_department_id)
        .where(e.ticket_id == ticket_id, true() if until is None else e.at <= at(until))
        .order_by(e.id)
    )
    return frame_of(conn, query)
