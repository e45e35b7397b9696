"""Numbers, instants and durations written the way each language writes them: pure functions
of a value and a language (no session), so that pages, exports built outside a script run,
and tests all call the same ones."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_location
from babel.numbers import format_decimal

from words.catalog import CATALOG
from words.language import translate

UNITS = {
    "en": {"d": "d", "h": "h", "min": "min", "s": "s"},
    "ru": {"d": "д", "h": "ч", "min": "мин", "s": "с"},
}


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, lang: str, digits: int = 0) -> str:
    """1 234 (ru) or 1,234 (en); `digits` decimals."""
    if missing(value):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=lang)


def percent(value, lang: str) -> str:
    """A 0–100 share with one decimal: 94.6% / 94,6 %."""
    if missing(value):
        return "—"
    text = number(value, lang, 1)
    return f"{text} %" if lang == "ru" else f"{text}%"


def duration(seconds, lang: str) -> str:
    """Every duration on every screen, one way: "59 s", "4 min 5 s", "27 min", "7 h 50 min",
    "4 d 4 h" ("27 мин", "7 ч 50 мин", "4 д 4 ч"). Truncated, never rounded up, so a ticket
    is never shown as an hour old before it is; a negative duration gets a minus sign (callers
    that mean "overdue" say so in words: `time_left`)."""
    if missing(seconds):
        return "—"
    total = int(abs(seconds))
    sign = "−" if seconds < 0 and total else ""
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    u = UNITS.get(lang, UNITS["en"])
    if days:
        parts = [(days, u["d"]), (hours, u["h"])]
    elif hours:
        parts = [(hours, u["h"]), (minutes, u["min"])]
    elif minutes >= 10:
        parts = [(minutes, u["min"])]
    elif minutes:
        parts = [(minutes, u["min"]), (secs, u["s"])]
    else:
        return f"{sign}{secs} {u['s']}"
    return sign + " ".join(f"{n} {unit}" for i, (n, unit) in enumerate(parts) if n or not i)


def time_left(seconds, lang: str) -> str:
    """A deadline seen from now: "27 min left" or "overdue by 4 d 4 h" (in Russian alike).
    Due exactly now is not overdue yet."""
    if missing(seconds):
        return "—"
    key = "left.overdue" if seconds < 0 else "left.remaining"
    return translate(lang, key, d=duration(abs(seconds), lang))


def hours(seconds) -> float | None:
    """A duration as a number of hours (two decimals), for a CSV column a spreadsheet sums."""
    return None if missing(seconds) else round(seconds / 3600, 2)


def actor_label(actor, lang: str) -> str:
    """Who did a step of a ticket's history: a user's name as it is, the desk's own roles
    ("operator", "department", "resident"…) in the language."""
    if missing(actor) or not actor:
        return "—"
    return translate(lang, f"actor.{actor}") if f"actor.{actor}" in CATALOG else actor


def instant(value: datetime | None, tz: ZoneInfo, lang: str, seconds: bool = False) -> str:
    """An instant in the city's zone: 26.11.2026 14:05 (ru) / Nov 26, 2026, 14:05 (en)."""
    if value is None or (not isinstance(value, datetime) and missing(value)):
        return "—"
    local = value.astimezone(tz)
    if lang == "ru":
        return local.strftime("%d.%m.%Y %H:%M" + (":%S" if seconds else ""))
    return format_datetime(local, "MMM d, y, HH:mm" + (":ss" if seconds else ""), locale="en")


def zone_name(tz: ZoneInfo, lang: str) -> str:
    """The city's zone as people name it: "Moscow", "Москва" (never "Europe/Moscow")."""
    return get_timezone_location(tz.key, locale=lang, return_city=True)


def clock(value: datetime, tz: ZoneInfo) -> str:
    """HH:MM:SS in the city's zone."""
    return value.astimezone(tz).strftime("%H:%M:%S")


def week_dates(week, lang: str) -> str:
    """A week (anything with its `monday`) in words: "23–29 November 2026" / "23–29 ноября
    2026" (across a month's or a year's end, each side whole), never "2026-W48"."""
    first = week.monday
    last = first + timedelta(days=6)

    def day(d, year: bool) -> str:
        text = f"{d.day} {translate(lang, f'wall.month.{d.month}')}"
        return f"{text} {d.year}" if year else text
    if first.month == last.month:
        return f"{first.day}–{day(last, True)}"
    return f"{day(first, first.year != last.year)} – {day(last, True)}"


def week_start(week, lang: str) -> str:
    """A week by its Monday, short, for a chart's axis: "23 Nov" / "23.11"."""
    monday = week.monday
    if lang == "ru":
        return f"{monday.day:02d}.{monday.month:02d}"
    return f"{monday.day} {translate(lang, f'wall.month.{monday.month}')[:3]}"
