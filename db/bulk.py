"""Fast bulk loading: COPY on PostgreSQL, executemany on SQLite.

Frames hold instants as integer epoch seconds (nullable `Int64`), the same on both paths.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Connection, Table, text

from db.types import UTCDateTime


def _instant_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, UTCDateTime)}


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Insert every row of `frame` (columns named as the table's) into `table`."""
    if frame.empty:
        return
    instants = _instant_columns(table) & set(frame.columns)
    if conn.dialect.name == "postgresql":
        _copy_postgresql(conn, table, frame, instants)
    else:
        _executemany(conn, table, frame)


def _copy_postgresql(conn: Connection, table: Table, frame: pd.DataFrame,
                     instants: set[str]) -> None:
    out = frame.copy()
    for name in instants:
        known = out[name].notna().to_numpy()
        text_ = np.full(len(out), None, dtype=object)
        seconds = out[name].to_numpy()[known].astype("int64").astype("datetime64[s]")
        text_[known] = np.char.add(np.datetime_as_string(seconds, unit="s"), "+00")
        out[name] = text_
    for name, column in table.columns.items():
        if name in out.columns and isinstance(column.type, Boolean):
            out[name] = out[name].map({True: "t", False: "f"})
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=False, na_rep="\\N")
    buffer.seek(0)
    columns = ", ".join(f'"{c}"' for c in out.columns)
    cursor = conn.connection.dbapi_connection.cursor()
    cursor.copy_expert(
        f"COPY {table.name} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
    )
    cursor.close()


def _executemany(conn: Connection, table: Table, frame: pd.DataFrame) -> None:
    columns = list(frame.columns)
    rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
    placeholders = ", ".join("?" for _ in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})", rows)
    cursor.close()


def reset_sequences(conn: Connection, *tables: Table) -> None:
    """After loading explicit ids, move PostgreSQL's id sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        ))
