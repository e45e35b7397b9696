"""A ticket's deadline as every screen, export, counter and command gives it (docs/figures.md,
"One deadline"): its due instant, and the time left to it at the as-of instant.

Time left is working time where the ticket's rule counts working hours (its clock stands still
outside them, until the instant it `resumes`), clock time elsewhere; once the due has passed, a
ticket is overdue by the clock time since its due. At risk and overdue are decided on the clock
(`queries.filters.is_at_risk`), so the counters, the lists and the queue's marks agree."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from db.types import to_epoch
from desk import sla
from queries.filters import Filters


def with_working_left(conn: Connection, frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The frame with the deadline's columns at `f.as_of`:

    - `working_left_s`: working seconds to the due where the due was counted in working hours
      (negative once passed), NaN elsewhere;
    - `left_s`: the time left as the figures define it (working seconds before a working-hours
      due, clock seconds otherwise and once overdue);
    - `resumes_at`: where the clock of a working-hours deadline stands still at as_of (not yet
      due, outside working time), the instant it starts again; None elsewhere.
    """
    frame = frame.assign(working_left_s=math.nan, resumes_at=None)
    clock_left = frame["time_left_s"].astype("float64") if len(frame) else pd.Series(dtype=float)
    frame["left_s"] = clock_left
    working = (frame["due_basis"] == "working").to_numpy()
    if working.any():
        clock = sla.WorkingClock(sla.load_calendar(conn), f.zone)
        due = np.array([to_epoch(v) for v in frame.loc[working, "due_at"]], dtype=np.int64)
        now = np.full(len(due), to_epoch(f.as_of), dtype=np.int64)
        work = clock.between(now, due).astype(float)
        frame.loc[working, "working_left_s"] = work
        ahead = due >= now
        frame.loc[working, "left_s"] = np.where(ahead, work, (due - now).astype(float))
        resumes = clock.resumes(now)
        frame.loc[working, "resumes_at"] = pd.Series(
            [datetime.fromtimestamp(int(r), UTC) if a and r >= 0 and r < d else None
             for r, a, d in zip(resumes, ahead, due, strict=True)],
            index=frame.index[working], dtype=object)
    return frame


def deadline_of(conn: Connection, fields: dict, f: Filters) -> dict:
    """One ticket's `time_left_s`, `working_left_s`, `left_s` and `resumes_at` at `f.as_of`,
    by the same rule as the tables (a card)."""
    left = None if fields.get("due_at") is None else (
        fields["due_at"] - f.as_of).total_seconds()
    frame = with_working_left(conn, pd.DataFrame([{
        "due_at": fields.get("due_at"), "due_basis": fields.get("due_basis"),
        "time_left_s": left}]), f)
    row = frame.iloc[0]
    return {key: row[key] for key in ("time_left_s", "working_left_s", "left_s", "resumes_at")}
