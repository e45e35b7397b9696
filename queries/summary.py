"""The overview's figures as one plain dictionary: what `python -m queries summary` prints."""

from __future__ import annotations

import math

from sqlalchemy import Connection

from queries.counters import counters
from queries.filters import Filters
from queries.workload import workload


def _number(value):
    """JSON-friendly: NaN and None become null, whole floats stay floats."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def summary(conn: Connection, f: Filters) -> dict:
    """Counters and per-department workload, named as in the issue's JSON contract."""
    c = counters(conn, f)
    departments = [
        {
            "department": row.department,
            "open": int(row.open),
            "overdue": int(row.overdue),
            "at_risk": int(row.at_risk),
            "oldest_open_age_s": _number(float(row.oldest_open_age_s)),
            "received_7d": int(row.received_7d),
            "resolved_7d": int(row.resolved_7d),
        }
        for row in workload(conn, f).itertuples()
    ]
    return {
        "as_of": f.as_of.isoformat(),
        "open": c.open,
        "overdue": c.overdue,
        "at_risk": c.at_risk,
        "received_today": c.received_today,
        "resolved_today": c.resolved_today,
        "on_time_pct_7d": _number(c.on_time_pct_7d),
        "median_accept_s_7d": _number(c.median_accept_s_7d),
        "median_resolve_s_7d": _number(c.median_resolve_s_7d),
        "departments": departments,
    }
