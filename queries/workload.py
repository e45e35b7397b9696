"""Per-department workload: what each service has on its desk, worst first."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, and_, case, func, select

from db.schema import departments, tickets
from db.types import seconds
from queries.filters import Filters, at, dimension_clauses, in_last_week, is_open
from queries.handoffs import handoffs

T = tickets.c
COLUMNS = [
    "department",
    "code",
    "department_ru",
    "open",
    "overdue",
    "at_risk",
    "oldest_open_age_s",
    "received_7d",
    "resolved_7d",
    "received_from_others_7d",
    "passed_on_7d",
]


def workload(conn: Connection, f: Filters) -> pd.DataFrame:
    """One row per department (also those with nothing to do), sorted by what needs attention:
    overdue, then at risk, then open, then name. With the tickets it received from other
    departments and passed on to them in the last 7 days (`queries.handoffs`)."""
    now, horizon = at(f.as_of), at(f.as_of + f.at_risk)
    dims = dimension_clauses(f)
    open_rows = conn.execute(
        select(
            T.department_id,
            func.count().label("open"),
            func.sum(case((T.due_at < now, 1), else_=0)).label("overdue"),
            func.sum(case((and_(T.due_at >= now, T.due_at <= horizon), 1), else_=0)).label(
                "at_risk"
            ),
            seconds(f.as_of, func.min(T.created_at)).label("oldest_open_age_s"),
        )
        .where(is_open(f), *dims)
        .group_by(T.department_id)
    ).all()
    received = conn.execute(
        select(T.department_id, func.count())
        .where(in_last_week(T.created_at, f), *dims)
        .group_by(T.department_id)
    ).all()
    resolved = conn.execute(
        select(T.department_id, func.count())
        .where(in_last_week(T.resolved_at, f), *dims)
        .group_by(T.department_id)
    ).all()
    dept_query = select(
        departments.c.id, departments.c.name, departments.c.code, departments.c.name_ru
    )
    if f.departments:
        dept_query = dept_query.where(departments.c.code.in_(f.departments))
    frame = pd.DataFrame(
        conn.execute(dept_query).all(), columns=["id", "department", "code", "department_ru"]
    ).set_index("id")
    opened = pd.DataFrame(
        open_rows, columns=["id", "open", "overdue", "at_risk", "oldest_open_age_s"]
    ).set_index("id")
    frame = frame.join(opened)
    frame["received_7d"] = pd.Series(dict(received), dtype="float64")
    frame["resolved_7d"] = pd.Series(dict(resolved), dtype="float64")
    frame = frame.join(handoffs(conn, f).astype("float64"))
    for name in ("open", "overdue", "at_risk", "received_7d", "resolved_7d",
                 "received_from_others_7d", "passed_on_7d"):
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype(int)
    frame["oldest_open_age_s"] = pd.to_numeric(frame["oldest_open_age_s"]).astype("float64")
    frame = frame.sort_values(
        ["overdue", "at_risk", "open", "department"], ascending=[False, False, False, True]
    )
    return frame.reset_index(drop=True)[COLUMNS]
