"""Independent computations of every figure, in pandas over the raw rows.

Written from the definitions in docs/figures.md, sharing no code with queries/: when the two agree
on both databases, the figures are right.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, select

from db.schema import categories, channels, departments, districts, tickets

WEEK = timedelta(days=7)


def raw(engine: Engine) -> pd.DataFrame:
    """Every ticket with the codes of its department, district, category and channel."""
    with engine.connect() as conn:
        rows = conn.execute(select(tickets)).mappings().all()
        codes = {
            name: dict(conn.execute(select(table.c.id, table.c.code)).all())
            for name, table in (("department", departments), ("district", districts),
                                ("category", categories), ("channel", channels))
        }
    frame = pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in tickets.columns])
    for name, mapping in codes.items():
        frame[f"{name}_code"] = frame[f"{name}_id"].map(mapping)
    for column in ("created_at", "accepted_at", "resolved_at", "closed_at", "rejected_at",
                   "ended_at", "due_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _le(series: pd.Series, t: datetime) -> pd.Series:
    return series.notna() & (series <= pd.Timestamp(t))


def open_at(frame: pd.DataFrame, t: datetime) -> pd.Series:
    ended = _le(frame["resolved_at"], t) | _le(frame["closed_at"], t) | _le(frame["rejected_at"], t)
    return (frame["created_at"] <= pd.Timestamp(t)) & ~ended


def midnight(t: datetime, tz: str) -> datetime:
    local = t.astimezone(ZoneInfo(tz))
    return datetime(local.year, local.month, local.day, tzinfo=ZoneInfo(tz))


def in_week(series: pd.Series, t: datetime) -> pd.Series:
    return series.notna() & (series > pd.Timestamp(t - WEEK)) & (series <= pd.Timestamp(t))


def counters(frame: pd.DataFrame, t: datetime, tz: str, risk=timedelta(hours=2)) -> dict:
    T = pd.Timestamp(t)
    is_open = open_at(frame, t)
    opened = frame[is_open]
    start = pd.Timestamp(midnight(t, tz))

    def on_time(end: datetime):
        done = frame[in_week(frame["resolved_at"], end)]
        if done.empty:
            return None
        return 100.0 * (done["resolved_at"] <= done["due_at"]).sum() / len(done)

    def median(start_col: str, end_col: str):
        done = frame[in_week(frame[end_col], t)]
        if done.empty:
            return None
        return float((done[end_col] - done[start_col]).dt.total_seconds().median())

    return {
        "open": int(is_open.sum()),
        "overdue": int((opened["due_at"] < T).sum()),
        "at_risk": int(((opened["due_at"] >= T) & (opened["due_at"] - T <= risk)).sum()),
        "received_today": int(((frame["created_at"] >= start) & (frame["created_at"] <= T)).sum()),
        "resolved_today": int(((frame["resolved_at"] >= start)
                               & (frame["resolved_at"] <= T)).sum()),
        "on_time_pct_7d": on_time(t),
        "on_time_pct_prev_7d": on_time(t - WEEK),
        "median_accept_s_7d": median("created_at", "accepted_at"),
        "median_resolve_s_7d": median("created_at", "resolved_at"),
    }


def workload(frame: pd.DataFrame, t: datetime, all_codes: list[str],
             risk=timedelta(hours=2)) -> dict[str, dict]:
    T = pd.Timestamp(t)
    out = {}
    for code in all_codes:
        mine = frame[frame["department_code"] == code]
        opened = mine[open_at(mine, t)]
        out[code] = {
            "open": len(opened),
            "overdue": int((opened["due_at"] < T).sum()),
            "at_risk": int(((opened["due_at"] >= T) & (opened["due_at"] - T <= risk)).sum()),
            "oldest_open_age_s": None if opened.empty
            else float((T - opened["created_at"].min()).total_seconds()),
            "received_7d": int(in_week(mine["created_at"], t).sum()),
            "resolved_7d": int(in_week(mine["resolved_at"], t).sum()),
        }
    return out


def per_local_day(series: pd.Series, t: datetime, tz: str, days: int) -> dict:
    """Count of instants per city-local date over the last `days` dates, up to t."""
    local = series[series.notna() & (series <= pd.Timestamp(t))].dt.tz_convert(tz).dt.date
    today = t.astimezone(ZoneInfo(tz)).date()
    dates = [today - timedelta(days=k) for k in range(days - 1, -1, -1)]
    counts = local.value_counts()
    return {d: int(counts.get(d, 0)) for d in dates}


def events(engine: Engine) -> pd.DataFrame:
    """Every ticket event, with the codes of the departments it moved from and to, and the
    codes of its ticket's category and district."""
    from db.schema import ticket_events

    with engine.connect() as conn:
        rows = conn.execute(select(ticket_events)).mappings().all()
        depts = dict(conn.execute(select(departments.c.id, departments.c.code)).all())
        cats = dict(conn.execute(select(categories.c.id, categories.c.code)).all())
        dists = dict(conn.execute(select(districts.c.id, districts.c.code)).all())
        owners = {r.id: (r.category_id, r.district_id)
                  for r in conn.execute(select(tickets.c.id, tickets.c.category_id,
                                               tickets.c.district_id))}
    frame = pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in ticket_events.columns])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["from_code"] = frame["from_department_id"].map(depts)
    frame["to_code"] = frame["to_department_id"].map(depts)
    frame["category_code"] = [cats[owners[i][0]] for i in frame["ticket_id"]]
    frame["district_code"] = [dists.get(owners[i][1]) for i in frame["ticket_id"]]
    return frame


def week(frame: pd.DataFrame, events_: pd.DataFrame, start: datetime, end: datetime,
         code: str | None = None) -> dict:
    """A week's figures, [start, end), for one department (by its current tickets; passed on by
    the department the events left) or the whole city (`code` None)."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    mine = frame if code is None else frame[frame["department_code"] == code]

    def within(series: pd.Series) -> pd.Series:
        return series.notna() & (series >= s) & (series < e)

    received = mine[within(mine["created_at"])]
    resolved = mine[within(mine["resolved_at"])]
    accepted = mine[within(mine["accepted_at"])]
    opened = mine[open_at(mine, end)]
    moved = events_[(events_["kind"] == "reassigned") & within(events_["at"])]
    if code is not None:
        moved = moved[moved["from_code"] == code]

    def median(rows: pd.DataFrame, column: str):
        if rows.empty:
            return None
        return float((rows[column] - rows["created_at"]).dt.total_seconds().median())

    return {
        "received": len(received),
        "resolved": len(resolved),
        "on_time_pct": None if resolved.empty
        else 100.0 * (resolved["resolved_at"] <= resolved["due_at"]).sum() / len(resolved),
        "median_accept_s": median(accepted, "accepted_at"),
        "median_resolve_s": median(resolved, "resolved_at"),
        "open_at_end": len(opened),
        "overdue_at_end": int((opened["due_at"] < e).sum()),
        "passed_on": int(moved["ticket_id"].nunique()),
    }
def social_response(frame: pd.DataFrame, codes: list[str], t: datetime) -> dict[str, dict]:
    """Per social network: tickets made from its posts in the week, the median wait from post to
    acceptance (of those accepted by t), and the share accepted within 24 h (of those accepted
    within 24 h or whose 24 h have run out)."""
    T = pd.Timestamp(t)
    result = {}
    for code in codes:
        rows = frame[(frame["channel_code"] == code) & in_week(frame["created_at"], t)]
        waits = (rows["accepted_at"] - rows["created_at"]).dt.total_seconds()
        accepted = _le(rows["accepted_at"], t)
        within = accepted & (waits <= 24 * 3600)
        decided = within | (rows["created_at"] <= T - pd.Timedelta(hours=24))
        chosen = sorted(waits[accepted])
        n = len(chosen)
        median = None if n == 0 else (
            chosen[n // 2] if n % 2 else (chosen[n // 2 - 1] + chosen[n // 2]) / 2)
        result[code] = {"received_7d": len(rows), "median_accept_s": median,
                        "accepted_24h": int(within.sum()), "decided_24h": int(decided.sum()),
                        "accepted_24h_pct": 100.0 * within.sum() / decided.sum()
                        if decided.sum() else None}
    return result


def handoffs(ev: pd.DataFrame, t: datetime, code: str) -> dict:
    """Tickets moved into and out of a department in (t − 7 days, t]."""
    moves = ev[(ev["kind"] == "reassigned") & in_week(ev["at"], t)
               & (ev["from_code"] != ev["to_code"])]
    return {"received_from_others_7d": int((moves["to_code"] == code).sum()),
            "passed_on_7d": int((moves["from_code"] == code).sum())}


def usual_targets(ev: pd.DataFrame, t: datetime, category: str, limit: int = 3) -> list:
    """(department code, moves) where a category's tickets were passed, most first, then by
    code; undos left out."""
    moves = ev[(ev["kind"] == "reassigned") & (ev["at"] <= pd.Timestamp(t))
               & (ev["category_code"] == category)
               & ~ev["note"].fillna("").str.startswith("undo of event #")]
    counts = moves["to_code"].value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(code, int(n)) for code, n in ranked[:limit]]
