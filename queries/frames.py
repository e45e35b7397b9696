"""Turning a SELECT into a DataFrame whose columns exist even when no row comes back."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Select


def frame_of(conn: Connection, query: Select) -> pd.DataFrame:
    rows = conn.execute(query).mappings().all()
    return pd.DataFrame(rows, columns=list(query.selected_columns.keys()))
