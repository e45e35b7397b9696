"""Where complaints come from: received per channel over the last 7 days."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, func, select

from db.schema import channels, tickets
from queries.filters import Filters, dimension_clauses, in_last_week

T = tickets.c


def channel_mix(conn: Connection, f: Filters) -> pd.DataFrame:
    """Per channel: tickets received in the last 7 days, largest first (channels with none too)."""
    counts = dict(conn.execute(
        select(T.channel_id, func.count()).where(in_last_week(T.created_at, f),
                                                 *dimension_clauses(f))
        .group_by(T.channel_id)
    ).all())
    rows = conn.execute(select(channels.c.id, channels.c.code, channels.c.name,
                               channels.c.name_ru, channels.c.kind)).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "name", "name_ru", "kind"])
    frame["received_7d"] = frame["id"].map(counts).fillna(0).astype(int)
    return frame.drop(columns="id").sort_values(["received_7d", "name"],
                                                ascending=[False, True], ignore_index=True)
