"""map cells in one order: the rollup's triggers update its rows sorted by their key

PostgreSQL's statement-level triggers of 0005 grouped a statement's changes with a hash
aggregate and upserted the groups in hash order. Two dispatchers reassigning tickets of one map
cell (a cluster of one incident) between the same departments touched the same two rollup rows
in opposite orders and deadlocked: 289 times in 60 s with 8 of them. Sorted by the rollup's key,
every writer takes those rows in one order, after its tickets (locked by id), and none waits on
another in a cycle. SQLite has one writer at a time: its triggers are unchanged.

Revision ID: 0016
Revises: 0018
Create Date: 2026-12-05 13:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "cell_row, cell_col, department_id, district_id"


def _delta(source: str, sign: int) -> str:
    return ("SELECT CAST(FLOOR((lat + 90.0) / 0.002) AS BIGINT), "
            "CAST(FLOOR((lon + 180.0) / 0.002) AS BIGINT), department_id, "
            f"COALESCE(district_id, 0), {sign} FROM {source} "
            "WHERE lat IS NOT NULL AND lon IS NOT NULL")


_ROWS = {
    "insert": _delta("new_rows", 1),
    "update": f"{_delta('new_rows', 1)} UNION ALL {_delta('old_rows', -1)}",
    "delete": _delta("old_rows", -1),
}

_FUNCTION = """
CREATE OR REPLACE FUNCTION map_cells_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_cells AS m ({key}, tickets)
    SELECT cell_row, cell_col, department_id, district_id, SUM(n)
    FROM ({rows}) AS changed (cell_row, cell_col, department_id, district_id, n)
    GROUP BY cell_row, cell_col, department_id, district_id
    HAVING SUM(n) <> 0
    {order}
    ON CONFLICT ({key}) DO UPDATE SET tickets = m.tickets + EXCLUDED.tickets;
    RETURN NULL;
END $$
"""


def _replace(order: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, rows in _ROWS.items():
        op.execute(_FUNCTION.format(op=name, key=KEY, rows=rows, order=order))


def upgrade() -> None:
    _replace(f"ORDER BY {KEY}")


def downgrade() -> None:
    _replace("")
