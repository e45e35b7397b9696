"""Work handed between departments: how many tickets each received from others and passed on
in the last 7 days (so handing overdue work off never hides it), and where tickets of a
category usually go when they are passed on (the reassignment dialog's suggestions)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, and_, func, not_, select

from db.schema import categories, departments, ticket_events, tickets
from queries.filters import Filters, at, dimension_clauses, in_last_week

E = ticket_events.c
T = tickets.c
UNDO_PREFIX = "undo of event #"  # desk.actions.UNDO_NOTE: an undo is not a usual target


def handoffs(conn: Connection, f: Filters) -> pd.DataFrame:
    """Per department id: `received_from_others_7d` and `passed_on_7d`, the reassignment
    events (each moves one ticket) into and out of it in (as_of − 7 days, as_of]. An undo moves
    tickets too and counts as such. The district, category and channel filters apply to the
    tickets moved; the department filter is the caller's to apply to the rows."""
    clauses = [E.kind == "reassigned", in_last_week(E.at, f),
               *dimension_clauses(f.with_(departments=()))]
    moved = ticket_events.join(tickets, T.id == E.ticket_id)
    counts = {}
    for name, column in (("received_from_others_7d", E.to_department_id),
                         ("passed_on_7d", E.from_department_id)):
        rows = conn.execute(
            select(column, func.count()).select_from(moved)
            .where(*clauses, column.is_not(None), E.from_department_id != E.to_department_id)
            .group_by(column)
        ).all()
        counts[name] = pd.Series(dict(rows), dtype="int64")
    return pd.DataFrame(counts).fillna(0).astype(int)


def usual_targets(conn: Connection, category_codes: tuple[str, ...], f: Filters,
                  limit: int = 3) -> pd.DataFrame:
    """For each category, the departments its tickets were most often passed to (up to `limit`,
    most moves first, then by code), from every reassignment up to as_of that was not an undo.
    Columns: category_code, department_code, moves."""
    to = departments.alias("target")
    query = (
        select(categories.c.code.label("category_code"), to.c.code.label("department_code"),
               func.count().label("moves"))
        .select_from(ticket_events.join(tickets, T.id == E.ticket_id)
                     .join(categories, categories.c.id == T.category_id)
                     .join(to, to.c.id == E.to_department_id))
        .where(E.kind == "reassigned", E.at <= at(f.as_of),
               categories.c.code.in_(category_codes),
               not_(and_(E.note.is_not(None), E.note.like(UNDO_PREFIX + "%"))))
        .group_by(categories.c.code, to.c.code)
    )
    frame = pd.DataFrame(conn.execute(query).all(),
                         columns=["category_code", "department_code", "moves"])
    frame["moves"] = frame["moves"].astype(int)
    frame = frame.sort_values(["category_code", "moves", "department_code"],
                              ascending=[True, False, True])
    return frame.groupby("category_code").head(limit).reset_index(drop=True)
