"""Tables of tickets behind a figure (filtered, sorted and paged in the database), and a
ticket's card with its whole timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Select, func, or_, select, true
from sqlalchemy.orm import aliased

from db.links import is_web_link
from db.schema import categories, channels, departments, districts, ticket_events, tickets
from db.types import seconds
from queries.filters import Filters, row_clauses, status_at, subset_clause
from queries.frames import frame_of
from queries.map_points import Box
from queries.sla import with_working_left

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
    order = SORTS.get(q.sort, T.created_at)
    descending = q.descending != (q.sort == "age")  # oldest first is "age descending"
    query = base.order_by(order.desc() if descending else order.asc(), T.id.desc())
    query = query.offset(max(q.page - 1, 0) * q.page_size).limit(q.page_size)
    return with_working_left(conn, frame_of(conn, query), f), total


def ticket_rows(conn: Connection, f: Filters, q: TicketQuery, limit: int = 200_000,
                where: ColumnElement[bool] | None = None) -> pd.DataFrame:
    """Every ticket behind a figure (up to `limit`), for export."""
    query = _base(f, q, where).order_by(T.created_at.desc(), T.id.desc()).limit(limit)
    return frame_of(conn, query)


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


def ticket_card(conn: Connection, external_id: str) -> TicketCard | None:
    """The card of the ticket with that external id, or None."""
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
    photos = json.loads(fields["photo_urls"]) if fields.get("photo_urls") else []
    photos = [link for link in photos if is_web_link(link)]  # never a file on the server
    if not is_web_link(fields.get("source_url")):
        fields["source_url"] = None
    return TicketCard(fields, photos, timeline(conn, fields["id"]))


def timeline(conn: Connection, ticket_id: int) -> pd.DataFrame:
    """The ticket's events, oldest first."""
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
        .where(e.ticket_id == ticket_id)
        .order_by(e.at, e.id)
    )
    return frame_of(conn, query)
