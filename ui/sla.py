"""What a deadline counted in working hours looks like: the time left says "working", and the
card names the rule its due came from."""

from __future__ import annotations

import pandas as pd
from babel.numbers import format_decimal

from db.schema import OPEN_STATUSES
from ui.formatting import missing
from ui.i18n import translate


def working_left(seconds: float, lang: str) -> str:
    """Working time to the deadline in whole minutes: "3 working h left", "45 working min left"."""
    minutes = int(max(seconds, 0)) // 60
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return translate(lang, "sla.left_m", m=minutes)
    if not minutes:
        return translate(lang, "sla.left_h", h=hours)
    return translate(lang, "sla.left_hm", h=hours, m=minutes)


def time_left(frame: pd.DataFrame, shown: list[str], lang: str) -> list[str]:
    """The table's time-left texts, those of open tickets counted in working hours (and not yet
    overdue) in working time."""
    if "working_left_s" not in frame:
        return shown
    rows = zip(shown, frame["working_left_s"], frame["time_left_s"], frame["status"], strict=True)
    return [working_left(work, lang) if status in OPEN_STATUSES and not missing(work)
            and left >= 0 else text for text, work, left, status in rows]


def working_time_left(frame: pd.DataFrame, lang: str, table: pd.DataFrame) -> pd.DataFrame:
    """A shown table (one row per row of `frame`) with its time-left column in working time where
    the ticket's deadline is counted in working hours."""
    column = translate(lang, "col.time_left")
    if column in table:
        table[column] = time_left(frame, list(table[column]), lang)
    return table


def rule_line(fields: dict, lang: str) -> str:
    """The rule the ticket's due came from: working or calendar hours, or given by its source."""
    basis = fields.get("due_basis") or "calendar"
    if basis == "given":
        return translate(lang, "sla.rule_given")
    hours = fields.get("due_hours")
    hours = fields.get("sla_hours") if missing(hours) else hours
    return translate(lang, f"sla.rule_{basis}",
                     hours=format_decimal(hours, format="#,##0.##", locale=lang))
