"""The usual way to build such a page, measured beside ours: read the tickets table into pandas
and compute the same figures there (the counters, the workload, the daily flow).

The figures come from devtools/oracle.py, the independent pandas computations the tests hold our
queries to, so the benchmark also checks at full size that both ways give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, select, text

from db.schema import categories, channels, departments, districts
from devtools import oracle
from queries.counters import counters
from queries.filters import Filters
from queries.trend import daily_flow
from queries.workload import workload

INSTANTS = ("created_at", "accepted_at", "resolved_at", "closed_at", "rejected_at", "ended_at",
            "due_at")
DAYS = 30


def read_tickets(engine: Engine) -> pd.DataFrame:
    """`SELECT * FROM tickets` into a DataFrame, with the codes of its reference rows."""
    with engine.connect() as conn:
        frame = pd.read_sql_query(text("SELECT * FROM tickets"), conn)
        codes = {
            name: dict(conn.execute(select(table.c.id, table.c.code)).all())
            for name, table in (("department", departments), ("district", districts),
                                ("category", categories), ("channel", channels))
        }
    epoch = engine.dialect.name == "sqlite"  # instants are stored as epoch seconds there
    for column in INSTANTS:
        frame[column] = pd.to_datetime(frame[column], unit="s" if epoch else None, utc=True)
    for name, mapping in codes.items():
        frame[f"{name}_code"] = frame[f"{name}_id"].map(mapping)
    return frame


def figures(frame: pd.DataFrame, f: Filters, department_codes: list[str]) -> dict:
    """The counters, the workload and the daily flow, computed in pandas."""
    return {
        "counters": oracle.counters(frame, f.as_of, f.tz, f.at_risk),
        "workload": oracle.workload(frame, f.as_of, department_codes, f.at_risk),
        "received": list(oracle.per_local_day(frame["created_at"], f.as_of, f.tz, DAYS).values()),
        "resolved": list(oracle.per_local_day(frame["resolved_at"], f.as_of, f.tz, DAYS).values()),
    }


def ours(conn: Connection, f: Filters) -> dict:
    """The same figures from our queries, shaped like `figures`."""
    load = workload(conn, f).set_index("code")
    flow = daily_flow(conn, f, DAYS)
    return {
        "counters": counters(conn, f).as_dict(),
        "workload": {
            code: {name: (None if pd.isna(row[name]) else row[name]) if name == "oldest_open_age_s"
                   else int(row[name])
                   for name in ("open", "overdue", "at_risk", "oldest_open_age_s", "received_7d",
                                "resolved_7d")}
            for code, row in load.iterrows()
        },
        "received": flow["received"].tolist(),
        "resolved": flow["resolved"].tolist(),
    }


@dataclass(frozen=True)
class Comparison:
    equal: bool
    differences: list[str]


def compare(a: dict, b: dict) -> Comparison:
    """Whether both ways give the same figures (floats to 1e-6), and where they differ."""
    differences = [key for key in ("received", "resolved") if a[key] != b[key]]
    differences += [f"counters.{k}" for k, v in a["counters"].items()
                    if not _same(v, b["counters"][k])]
    for code, row in a["workload"].items():
        differences += [f"workload.{code}.{k}" for k, v in row.items()
                        if not _same(v, b["workload"].get(code, {}).get(k))]
    return Comparison(not differences, differences)


def _same(x, y) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return abs(float(x) - float(y)) < 1e-6
