"""Problem points for the heat map: single tickets, or grid cells when there are too many.

The browser never receives more than `limit` items: past it the database aggregates points
into square cells and sends one row per cell with its count. The limit keeps the map's payload
under 2 MB however large the table grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, select, union_all

from db.schema import MAP_CELL_DEG, categories, departments, districts, map_cells, tickets
from db.types import floor_int, seconds
from queries.filters import (
    Filters,
    at,
    dimension_clauses,
    ids_of,
    row_clauses,
    status_at,
    status_clauses,
)
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
    cell_deg: float = MAP_CELL_DEG,
) -> MapData:
    """Tickets in `f` (and `box`) with coordinates: points up to `limit`, else grid cells.

    One grouping pass at `cell_deg` gives the total and the finest cells; past `limit` cells are
    merged (doubling their size) until at most `limit` remain, without reading the table again.
    """
    where = _where(f, box)
    if _rollup_serves(f, box, cell_deg):
        fine = _rollup_cells(conn, f)
    else:
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


def _rollup_serves(f: Filters, box: Box | None, cell_deg: float) -> bool:
    """Whether the map_cells rollup holds these cells: every ticket of any status, by department
    and district only, at the rollup's cell size."""
    return (box is None and cell_deg == MAP_CELL_DEG and not status_clauses(f)
            and f.period_from is None and f.period_to is None
            and not f.categories and not f.channels)


def _rollup_cells(conn: Connection, f: Filters) -> pd.DataFrame:
    """The rollup (every ticket there is) less the tickets created after as_of: one statement,
    so that both parts see the same snapshot of a table that is being written to."""
    M = map_cells.c
    kept = select(M.cell_row.label("row"), M.cell_col.label("col"), M.tickets.label("n"))
    if f.departments:
        kept = kept.where(M.department_id.in_(ids_of(departments, f.departments)))
    if f.districts:
        kept = kept.where(M.district_id.in_(ids_of(districts, f.districts)))
    row = floor_int((T.lat + 90.0) / MAP_CELL_DEG)
    col = floor_int((T.lon + 180.0) / MAP_CELL_DEG)
    later = (
        select(row.label("row"), col.label("col"), (-func.count()).label("n"))
        .where(T.created_at > at(f.as_of), T.lat.is_not(None), T.lon.is_not(None),
               *dimension_clauses(f))
        .group_by(row, col)
    )
    both = union_all(kept, later).subquery()
    rows = conn.execute(
        select(both.c.row, both.c.col, func.sum(both.c.n))
        .group_by(both.c.row, both.c.col)
        .having(func.sum(both.c.n) > 0)
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
