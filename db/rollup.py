"""The map_cells rollup's rows, locked in one order before a writer moves tickets.

The rollup is kept by triggers on tickets (migration 0005): each statement that moves a ticket
adds and takes away counts in its cell's rows. A writer that moves several tickets, one
statement each, would otherwise take those rows in the order of its statements, and two
dispatchers moving tickets of one cell between the same departments in opposite directions
would deadlock (289 times a minute with 8 of them). So every writer of tickets first locks, in
the rollup's key order, every row of the cells its tickets are in (after the tickets themselves,
locked by id); the triggers sort their rows the same way (migration 0016). SQLite has one writer
at a time and needs neither.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, Connection, cast, func, select, tuple_

from db.schema import map_cells, tickets

CHUNK = 1000


def lock_cells(conn: Connection, ticket_ids: Sequence[int]) -> None:
    """Lock the rollup rows of the cells these tickets lie in, in key order (PostgreSQL)."""
    if conn.dialect.name != "postgresql" or not ticket_ids:
        return
    t, m = tickets.c, map_cells.c
    ids = sorted(set(ticket_ids))
    cells = set()
    for at in range(0, len(ids), CHUNK):
        cells |= set(conn.execute(
            select(cast(func.floor((t.lat + 90.0) / 0.002), BigInteger),
                   cast(func.floor((t.lon + 180.0) / 0.002), BigInteger))
            .where(t.id.in_(ids[at:at + CHUNK]), t.lat.is_not(None), t.lon.is_not(None))
            .distinct()).all())
    ordered = sorted(cells)
    for at in range(0, len(ordered), CHUNK):
        conn.execute(select(m.cell_row).where(
            tuple_(m.cell_row, m.cell_col).in_(ordered[at:at + CHUNK]))
            .order_by(m.cell_row, m.cell_col, m.department_id, m.district_id)
            .with_for_update())
