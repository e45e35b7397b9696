"""Problem points for the heat map: single tickets, or grid cells when there are too many.

The browser never receives more than `limit` items: past it the database aggregates points
into square cells and sends one row per cell with its count. The limit keeps the map's payload
under 2 MB however large the table grows.
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
POINT_LIMIT = 2_000


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

    One grouping pass at `cell_deg` gives the total and the finest cells; past `limit` cells are
    merged (doubling their size) until at most `limit` remain, without reading the table again.
    """
    where = _where(f, box)
    fine = _cells(conn, where, cell_deg)
    total = int(fine["count"].sum())
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
    factor = 1
    while True:
        frame = _merged(fine, factor, cell_deg * factor)
        if len(frame) <= limit:
            return MapData(frame, cells=True, total=total, cell_deg=cell_deg * factor)
        factor *= 2


def _cells(conn: Connection, where: list, cell_deg: float) -> pd.DataFrame:
    """Counts per square cell of `cell_deg` degrees (row and column numbers from the south-west
    corner of the globe, so both are whole and never negative)."""
    row = floor_int((T.lat + 90.0) / cell_deg).label("row")
    col = floor_int((T.lon + 180.0) / cell_deg).label("col")
    rows = conn.execute(
        select(row, col, func.count().label("count")).where(*where).group_by(row, col)
    ).all()
    return pd.DataFrame(rows, columns=["row", "col", "count"]).astype("int64")


def _merged(fine: pd.DataFrame, factor: int, cell_deg: float) -> pd.DataFrame:
    """Cells `factor` times larger, with their centres: exactly what grouping at `cell_deg`
    would give, since floor(x / (k·d)) = floor(floor(x / d) / k) for x ≥ 0 and whole k."""
    frame = (
        fine.assign(row=fine["row"] // factor, col=fine["col"] // factor)
        .groupby(["row", "col"], as_index=False)["count"].sum()
    )
    frame["lat"] = (frame["row"] + 0.5) * cell_deg - 90.0
    frame["lon"] = (frame["col"] + 0.5) * cell_deg - 180.0
    return frame
