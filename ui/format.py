"""Numbers, instants and durations written the way each language writes them."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

UNITS = {
    "en": {"d": "d", "h": "h", "min": "min"},
    "ru": {"d": "д", "h": "ч", "min": "мин"},
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
    """Short times as the dispatchers read them (m:ss, h:mm:ss); long ones in days and hours."""
    if missing(seconds):
        return "—"
    total = round(abs(seconds))
    sign = "−" if seconds < 0 else ""
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    u = UNITS.get(lang, UNITS["en"])
    if days >= 2:
        return f"{sign}{days} {u['d']} {hours} {u['h']}"
    hours += days * 24
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def hours_minutes(seconds) -> str:
    """h:mm, for time left in a queue."""
    if missing(seconds):
        return "—"
    total = int(abs(seconds)) // 60
    return f"{total // 60}:{total % 60:02d}"


def instant(value: datetime | None, tz: ZoneInfo, lang: str, seconds: bool = False) -> str:
    """An instant in the city's zone: 26.11.2026 14:05 (ru) / Nov 26, 2026, 14:05 (en)."""
    if value is None or (not isinstance(value, datetime) and missing(value)):
        return "—"
    local = value.astimezone(tz)
    if lang == "ru":
        return local.strftime("%d.%m.%Y %H:%M" + (":%S" if seconds else ""))
    return format_datetime(local, "MMM d, y, HH:mm" + (":ss" if seconds else ""), locale="en")


def clock(value: datetime, tz: ZoneInfo) -> str:
    """HH:MM:SS in the city's zone."""
    return value.astimezone(tz).strftime("%H:%M:%S")
