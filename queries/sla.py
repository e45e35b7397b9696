"""Time left in working hours: for tickets whose deadline the city's calendar counts, the working
seconds from the as-of instant to the due (the at-risk window stays in calendar hours)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from db import sla
from db.types import to_epoch
from queries.filters import Filters


def with_working_left(conn: Connection, frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The frame with `working_left_s`: working seconds to the due where the due was counted in
    working hours (negative once passed), NaN elsewhere."""
    frame = frame.assign(working_left_s=math.nan)
    working = (frame["due_basis"] == "working").to_numpy()
    if working.any():
        clock = sla.WorkingClock(sla.load_calendar(conn), f.zone)
        due = np.array([to_epoch(v) for v in frame.loc[working, "due_at"]], dtype=np.int64)
        now = np.full(len(due), to_epoch(f.as_of), dtype=np.int64)
        frame.loc[working, "working_left_s"] = clock.between(now, due).astype(float)
    return frame
