"""map cells: a rollup of every ticket's map cell, kept up to date by triggers

The map of every ticket (all statuses) grouped a million rows into cells on each refresh. This
table holds, per cell of 0.002° and per department and district, how many tickets lie there;
triggers on tickets add, move and remove them in the same transaction as the change, so it is
never rebuilt. queries/map_points.py reads it (less the tickets created after the view's as-of).

PostgreSQL uses statement-level triggers with transition tables, so a COPY of 100,000 tickets
updates the rollup once; SQLite row-level ones. The cell arithmetic is the query's own.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "cell_row, cell_col, department_id, district_id"


def _cell(prefix: str, dialect: str) -> str:
    """The cell of a row: what queries.map_points computes with floor_int, for latitudes and longitudes
    shifted to be positive (so SQLite's truncating CAST is a floor)."""
    if dialect == "sqlite":
        return (f"CAST(({prefix}lat + 90.0) / 0.002 AS INTEGER), "
                f"CAST(({prefix}lon + 180.0) / 0.002 AS INTEGER)")
    return (f"CAST(FLOOR(({prefix}lat + 90.0) / 0.002) AS BIGINT), "
            f"CAST(FLOOR(({prefix}lon + 180.0) / 0.002) AS BIGINT)")


def _delta(source: str, sign: int) -> str:
    return (f"SELECT {_cell('', 'postgresql')}, department_id, COALESCE(district_id, 0), "
            f"{sign} FROM {source} WHERE lat IS NOT NULL AND lon IS NOT NULL")


_PG_FUNCTION = """
CREATE FUNCTION map_cells_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_cells AS m ({key}, tickets)
    SELECT cell_row, cell_col, department_id, district_id, SUM(n)
    FROM ({rows}) AS changed (cell_row, cell_col, department_id, district_id, n)
    GROUP BY cell_row, cell_col, department_id, district_id
    HAVING SUM(n) <> 0
    ON CONFLICT ({key}) DO UPDATE SET tickets = m.tickets + EXCLUDED.tickets;
    RETURN NULL;
END $$
"""
_PG_TRIGGERS = {  # operation: (transition tables, rows entering (+1) and leaving (-1) cells)
    "insert": ("NEW TABLE AS new_rows", _delta("new_rows", 1)),
    "update": ("OLD TABLE AS old_rows NEW TABLE AS new_rows",
               f"{_delta('new_rows', 1)} UNION ALL {_delta('old_rows', -1)}"),
    "delete": ("OLD TABLE AS old_rows", _delta("old_rows", -1)),
}


def _sqlite_change(row: str, sign: int) -> str:
    return (f"INSERT INTO map_cells ({KEY}, tickets) SELECT {_cell(row + '.', 'sqlite')}, "
            f"{row}.department_id, COALESCE({row}.district_id, 0), {sign} "
            f"WHERE {row}.lat IS NOT NULL AND {row}.lon IS NOT NULL "
            f"ON CONFLICT ({KEY}) DO UPDATE SET tickets = tickets + {sign};")


_SQLITE_TRIGGERS = {
    "insert": ("AFTER INSERT ON tickets", [_sqlite_change("NEW", 1)]),
    "update": ("AFTER UPDATE OF lat, lon, department_id, district_id ON tickets",
               [_sqlite_change("OLD", -1), _sqlite_change("NEW", 1)]),
    "delete": ("AFTER DELETE ON tickets", [_sqlite_change("OLD", -1)]),
}


def upgrade() -> None:
    op.create_table(
        "map_cells",
        sa.Column("cell_row", sa.BigInteger(), nullable=False),
        sa.Column("cell_col", sa.BigInteger(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),  # 0: none
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cell_row", "cell_col", "department_id", "district_id",
                                name=op.f("pk_map_cells")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(f"INSERT INTO map_cells ({KEY}, tickets) SELECT {_cell('', dialect)}, "
               "department_id, COALESCE(district_id, 0), COUNT(*) FROM tickets "
               "WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY 1, 2, 3, 4")
    if dialect == "postgresql":
        for name, (tables, rows) in _PG_TRIGGERS.items():
            op.execute(_PG_FUNCTION.format(op=name, key=KEY, rows=rows))
            op.execute(f"CREATE TRIGGER map_cells_{name} AFTER {name.upper()} ON tickets "
                       f"REFERENCING {tables} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION map_cells_{name}()")
    else:
        for name, (when, statements) in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER map_cells_{name} {when} BEGIN {' '.join(statements)} END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in _PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS map_cells_{name}"
                   + (" ON tickets" if dialect == "postgresql" else ""))
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS map_cells_{name}()")
    op.drop_table("map_cells")
