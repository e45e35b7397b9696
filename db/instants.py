"""Instants read from outside (the command line, a link, a message, an export's record), parsed
in one place so that every door refuses the same things with the same words.

An instant is ISO-8601; one without an offset is wall-clock time in the zone the caller passes
(the city's, or an export's own). Its year in UTC must lie in YEARS: year 1 or 9999 overflows once
moved to UTC or by a period, and a year 20000 is a typo or an attack, not a moment of the city.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

YEARS = (1900, 2200)

# The forms US 311 exports write (Chicago, Los Angeles, ...): month first, 12- or 24-hour clock.
US_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)

# A link's "+03:00" arrives as " 03:00" when the sender did not escape the plus.
_SPACE_OFFSET = re.compile(r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$")


class OutOfRange(ValueError):
    """A readable instant whose year lies outside YEARS."""


def parse_instant(text: str, tz: tzinfo | None) -> datetime:
    """The ISO-8601 instant `text` names, aware, in its own offset (naive: in `tz`; with no `tz`
    an offset is required).

    Raises ValueError saying what is wrong: not ISO-8601, no offset where one is required, or
    OutOfRange for a year outside YEARS.
    """
    value = _iso(text)
    if value.tzinfo is None and tz is None:
        raise ValueError("needs a UTC offset, e.g. 2026-11-26T12:00:00+03:00")
    return in_range(value, tz)


def parse_record_instant(text: str, tz: tzinfo) -> datetime:
    """An export's instant: ISO-8601 or a US form (see US_FORMATS), as UTC in whole seconds;
    without an offset it is wall-clock time in `tz`. Raises ValueError as parse_instant does."""
    try:
        value = _iso(text)
    except ValueError:
        value = _us(text)
    return in_range(value, tz).astimezone(UTC).replace(microsecond=0)


def in_range(value: datetime, tz: tzinfo | None) -> datetime:
    """`value` made aware (naive: in `tz`), or OutOfRange when its UTC year lies outside YEARS."""
    value = value if value.tzinfo else value.replace(tzinfo=tz)
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = None
    if year is None or not YEARS[0] <= year <= YEARS[1]:
        raise OutOfRange(f"{value.isoformat()} is outside the years {YEARS[0]}–{YEARS[1]}")
    return value


def _iso(text: str) -> datetime:
    cleaned = _SPACE_OFFSET.sub(r"\1+\2", text.strip())
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"not an ISO-8601 instant: {text!r}") from None


def _us(text: str) -> datetime:
    for fmt in US_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise ValueError(f"unparsable instant {text!r}")
