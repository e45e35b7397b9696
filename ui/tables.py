"""How every ticket table marks its overdue rows and sizes its "Time left", the same everywhere."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

OVERDUE_ROW = "background-color: #fdecea; color: #8c1d18"  # 7.9:1 on its background
AT_RISK_ROW = "background-color: #fff4e0; color: #6b3d00"  # 8.4:1 on its background


def mark_overdue(shown: pd.DataFrame, overdue: Sequence[bool],
                 at_risk: Sequence[bool] | None = None) -> Styler:
    """`shown` with the rows where `overdue` is true tinted red, and those `at_risk` amber
    (text and background): the marks agree with the Overdue and At-risk counters."""
    flags = list(overdue)
    risky = list(at_risk) if at_risk is not None else [False] * len(flags)

    def row_style(row: pd.Series) -> list[str]:
        style = OVERDUE_ROW if flags[row.name] else AT_RISK_ROW if risky[row.name] else ""
        return [style] * len(row)

    return shown.reset_index(drop=True).style.apply(row_style, axis=1)


def time_left_column(label: str, lang: str) -> dict:
    """A column config that keeps "overdue by 13 h 53 min" whole in either language."""
    return {label: st.column_config.TextColumn(width=190 if lang == "ru" else 170)}
