"""Where complaints come from: received per channel over the last 7 days, and how fast the
social networks' posts were taken up."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import Connection, case, func, select

from db.schema import channels, tickets
from db.types import seconds
from queries.filters import Filters, at, dimension_clauses, in_last_week

T = tickets.c
DAY = timedelta(hours=24)
DAY_SECONDS = DAY.total_seconds()


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


def social_response(conn: Connection, f: Filters) -> pd.DataFrame:
    """Per social network, of the tickets its posts made in the last 7 days: how many, the median
    time from the post to the ticket's acceptance (exact, of those accepted by as_of), and the
    share accepted within 24 hours of the post (the seed's target). A ticket still within its
    first 24 hours and not accepted yet is left out of that share: it may still make it."""
    accepted = T.accepted_at.is_not(None) & (T.accepted_at <= at(f.as_of))
    wait = seconds(T.accepted_at, T.created_at)
    within = accepted & (wait <= DAY_SECONDS)
    where = [in_last_week(T.created_at, f), *dimension_clauses(f),
             T.channel_id.in_(select(channels.c.id).where(channels.c.kind == "social"))]
    totals = {r.channel_id: r for r in conn.execute(
        select(T.channel_id, func.count().label("received"),
               func.sum(case((within, 1), else_=0)).label("within_24h"),
               func.sum(case((within | (T.created_at <= at(f.as_of - DAY)), 1), else_=0))
               .label("decided"))
        .where(*where).group_by(T.channel_id))}
    ranked = (select(T.channel_id, wait.label("s"),
                     func.row_number().over(partition_by=T.channel_id, order_by=wait).label("rn"),
                     func.count().over(partition_by=T.channel_id).label("n"))
              .where(*where, accepted).subquery())
    medians = dict(conn.execute(
        select(ranked.c.channel_id, func.avg(ranked.c.s))
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(ranked.c.channel_id)).all())
    rows = conn.execute(select(channels.c.id, channels.c.code, channels.c.name,
                               channels.c.name_ru).where(channels.c.kind == "social")
                        .order_by(channels.c.code)).all()
    records = []
    for r in rows:
        got = totals.get(r.id)
        decided = int(got.decided) if got else 0
        records.append({
            "code": r.code, "name": r.name, "name_ru": r.name_ru,
            "received_7d": int(got.received) if got else 0,
            "median_accept_s": float(medians[r.id]) if r.id in medians else None,
            "accepted_24h": int(got.within_24h) if got else 0,
            "decided_24h": decided,
            "accepted_24h_pct": 100.0 * int(got.within_24h) / decided if decided else None,
        })
    return pd.DataFrame(records, columns=[
        "code", "name", "name_ru", "received_7d", "median_accept_s", "accepted_24h",
        "decided_24h", "accepted_24h_pct"])
