"""What a deadline counted in working hours looks like: the time left says "working", and the
card names the rule its due came from."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from babel.dates import format_datetime
from babel.numbers import format_decimal

from db.schema import OPEN_STATUSES
from words.formatting import missing
from words.formatting import time_left as clock_left
from words.language import translate


def working_left(seconds: float, lang: str) -> str:
    """Working time to the deadline in whole minutes: "3 working h left", "45 working min left"."""
    minutes = int(max(seconds, 0)) // 60
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return translate(lang, "sla.left_m", m=minutes)
    if not minutes:
        return translate(lang, "sla.left_h", h=hours)
    return translate(lang, "sla.left_hm", h=hours, m=minutes)


def due_text(value, tz: ZoneInfo, lang: str, as_of: datetime | None = None) -> str:
    """A due instant with its weekday, in the city's time: "Mon 7 Dec 08:54" ("пн 7 дек. 08:54");
    the year only when it is not the as-of instant's."""
    if value is None or (not isinstance(value, datetime) and missing(value)):
        return "—"
    local = value.astimezone(tz)
    year = as_of is None or local.year != as_of.astimezone(tz).year
    return format_datetime(local, "EEE d MMM" + (" y" if year else "") + " HH:mm",
                           locale=lang).replace(",", "")


def left_text(left_s, working: bool, resumes_at, tz: ZoneInfo, lang: str,
              as_of: datetime | None = None) -> str:
    """The time left as every table, card and export writes it (docs/figures.md, "One
    deadline"): "54 working min left · clock stopped until Mon 7 Dec 08:00", "3 h 10 min left",
    "overdue by 2 h"."""
    if missing(left_s):
        return "—"
    if not working or left_s < 0:
        return clock_left(left_s, lang)
    text = working_left(left_s, lang)
    if resumes_at is not None and not missing(resumes_at):
        text += " · " + translate(lang, "sla.stopped", when=due_text(resumes_at, tz, lang, as_of))
    return text


def left_column(frame: pd.DataFrame, lang: str, tz: ZoneInfo,
              as_of: datetime | None = None) -> list[str]:
    """Each row's time left (open tickets; "" for the others), by `left_text`."""
    left = frame["left_s"] if "left_s" in frame else frame["time_left_s"]
    basis = frame["due_basis"] if "due_basis" in frame else [None] * len(frame)
    resumes = frame["resumes_at"] if "resumes_at" in frame else [None] * len(frame)
    return [left_text(s, b == "working", r, tz, lang, as_of) if status in OPEN_STATUSES else ""
            for s, b, r, status in zip(left, basis, resumes, frame["status"], strict=True)]


def due_column(frame: pd.DataFrame, lang: str, tz: ZoneInfo,
               as_of: datetime | None = None) -> list[str]:
    """Each row's due instant as `due_text` writes it."""
    return [due_text(v, tz, lang, as_of) for v in frame["due_at"]]


def rule_line(fields: dict, lang: str) -> str:
    """The rule the ticket's due came from: working or calendar hours, or given by its source."""
    basis = fields.get("due_basis") or "calendar"
    if basis == "given":
        return translate(lang, "sla.rule_given")
    hours = fields.get("due_hours")
    hours = fields.get("sla_hours") if missing(hours) else hours
    return translate(lang, f"sla.rule_{basis}",
                     hours=format_decimal(hours, format="#,##0.##", locale=lang))
