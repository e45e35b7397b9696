"""The small lookup tables: the options of every filter, and names for codes."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Table, select

from db.schema import categories, channels, departments, districts, tickets


def _codes_and_names(conn: Connection, table: Table, *extra) -> pd.DataFrame:
    query = select(table.c.code, table.c.name, table.c.name_ru, *extra).order_by(table.c.name)
    return pd.DataFrame(
        conn.execute(query).mappings().all(),
        columns=["code", "name", "name_ru", *(c.name for c in extra)],
    )


def department_list(conn: Connection) -> pd.DataFrame:
    return _codes_and_names(conn, departments)


def category_list(conn: Connection) -> pd.DataFrame:
    return _codes_and_names(conn, categories, categories.c.sla_hours)


def channel_list(conn: Connection) -> pd.DataFrame:
    return _codes_and_names(conn, channels, channels.c.kind)


def district_list(conn: Connection) -> pd.DataFrame:
    """Districts with their centre and outline (GeoJSON text, may be empty)."""
    return _codes_and_names(conn, districts, districts.c.lat, districts.c.lon, districts.c.outline)


def has_tickets(conn: Connection) -> bool:
    """Whether there is anything to show at all."""
    return conn.execute(select(tickets.c.id).limit(1)).first() is not None
