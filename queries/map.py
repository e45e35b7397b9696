"""Problem points for the heat map: single tickets, or grid cells when there are too many.

The browser never receives more than `limit` items: past it the database aggregates points
into square cells and sends one row per cell with its count.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, select

from db.schema import categories, departments, tickets
from db.types import floor_int, seconds
from queries.filters import Filters, at, row_clauses, status_at
from queries.frames import frame_of

T = tickets.c
POINT_LIMIT = 50_000


@dataclass(frozen=True)
class Box:
    """A lat/lon rectangle: the part of the city in view."""

    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True)
class MapData:
    """Either single points (`cells` is False) or cells with counts; `total` tickets behind it."""

    frame: pd.DataFrame
    cells: bool
    total: int
    cell_deg: float | None = None


def _where(f: Filters, box: Box | None) -> list:
    where = [*row_clauses(f), T.lat.is_not(None), T.lon.is_not(None)]
    if box is not None:
        where += [T.lat.between(box.south, box.north), T.lon.between(box.west, box.east)]
    return where


def map_points(
    conn: Connection,
    f: Filters,
    box: Box | None = None,
    limit: int = POINT_LIMIT,
    cell_deg: float = 0.002,
) -> MapData:
    """Tickets in `f` (and `box`) with coordinates: points up to `limit`, else grid cells.

    Cells grow (doubling `cell_deg`) until there are at most `limit` of them.
    """
    where = _where(f, box)
    total = conn.execute(select(func.count()).select_from(tickets).where(*where)).scalar_one()
    if total <= limit:
        query = (
            select(
                T.external_id,
                T.lat,
                T.lon,
                T.address,
                status_at(f).label("status"),
                categories.c.name.label("category"),
                categories.c.name_ru.label("category_ru"),
                departments.c.name.label("department"),
                departments.c.name_ru.label("department_ru"),
                seconds(f.as_of, T.created_at).label("age_s"),
                (T.due_at < at(f.as_of)).label("past_due"),
            )
            .join(categories, categories.c.id == T.category_id)
            .join(departments, departments.c.id == T.department_id)
            .where(*where)
            .order_by(T.id)
        )
        frame = frame_of(conn, query)
        frame["past_due"] = frame["past_due"].astype(bool)
        return MapData(frame, cells=False, total=total)
    while True:
        frame = _cells(conn, where, cell_deg)
        if len(frame) <= limit:
            return MapData(frame, cells=True, total=total, cell_deg=cell_deg)
        cell_deg *= 2


def _cells(conn: Connection, where: list, cell_deg: float) -> pd.DataFrame:
    """Counts per square cell of `cell_deg` degrees, with the cell's centre."""
    row = floor_int((T.lat + 90.0) / cell_deg).label("row")
    col = floor_int((T.lon + 180.0) / cell_deg).label("col")
    rows = conn.execute(
        select(row, col, func.count().label("count")).where(*where).group_by(row, col)
    ).all()
    frame = pd.DataFrame(rows, columns=["row", "col", "count"])
    frame["lat"] = (frame["row"] + 0.5) * cell_deg - 90.0
    frame["lon"] = (frame["col"] + 0.5) * cell_deg - 180.0
    return frame
