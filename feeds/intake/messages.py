"""Reading messages: one JSON object a line, tolerant of what social networks hand over.

A line that cannot be read becomes `Broken` with the reason, and the rest of the file goes on.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from db.instants import parse_instant

# A post on VK holds at most 16,384 characters, on Telegram 4,096: a line far longer is not a
# message, and reading its words would take minutes.
MAX_LINE = 50_000


@dataclass(frozen=True)
class Message:
    line: int | None  # its line in a file; None when a connector fetched it
    network: str
    author: str | None
    text: str
    url: str | None
    posted_at: datetime  # aware, UTC
    lat: float | None
    lon: float | None
    address: str | None

    @property
    def key(self) -> str:
        """One message, however often it is read: a hash of its link, else of its content."""
        basis = self.url or "\x1f".join(
            (self.network, self.author or "", self.posted_at.isoformat(), self.text)
        )
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Broken:
    line: int
    reason: str


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _instant(value: object, tz: ZoneInfo, now: datetime) -> datetime:
    """An ISO-8601 instant in UTC; one without an offset is the city's local time. Raises
    ValueError when unreadable or outside the years a message can have been posted in."""
    if value is None or value == "":
        return now
    if not isinstance(value, str):
        raise ValueError(f"posted_at is not a text: {value!r}")
    return parse_instant(value, tz).astimezone(UTC).replace(microsecond=0)


def _unusable(data: dict) -> str | None:
    """Why a message's text fields cannot be stored (the same on both databases), or None."""
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            return f"{key} holds a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{key} is not valid Unicode (a lone surrogate)"
    return None


def _coordinate(value: object, limit: float) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and abs(number) <= limit else None


def parse_line(line: int, raw: str, tz: ZoneInfo, now: datetime) -> Message | Broken:
    """The message on one input line, or why it cannot be read.

    A missing `posted_at` means "now"; coordinates that are missing, out of range or given
    only by half are dropped.
    """
    if not raw.strip():
        return Broken(line, "empty line")
    if len(raw) > MAX_LINE:
        return Broken(line, f"longer than {MAX_LINE:,} characters")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        return Broken(line, f"not JSON: {error.msg} at column {error.colno}")
    except RecursionError:
        return Broken(line, "nested too deeply")
    if not isinstance(data, dict):
        return Broken(line, "not a JSON object")
    if (why := _unusable(data)) is not None:
        return Broken(line, why)
    text = _text(data.get("text"))
    if text is None:
        return Broken(line, "no text")
    try:
        posted_at = _instant(data.get("posted_at"), tz, now)
    except ValueError:
        return Broken(line, f"posted_at is not an ISO-8601 instant: {data.get('posted_at')!r}")
    return message(line, data.get("network"), data.get("author"), text, data.get("url"),
                   posted_at, data.get("lat"), data.get("long", data.get("lon")),
                   data.get("address"))


def message(line: int | None, network: object, author: object, text: str, url: object,
            posted_at: datetime, lat: object = None, lon: object = None,
            address: object = None) -> Message:
    """A message cut to the columns' sizes; coordinates out of range or given by half dropped."""
    lat_, lon_ = _coordinate(lat, 90), _coordinate(lon, 180)
    if lat_ is None or lon_ is None:
        lat_ = lon_ = None
    return Message(
        line=line,
        network=(_text(network) or "social")[:64],
        author=(_text(author) or "")[:200] or None,
        text=text,
        url=(_text(url) or "")[:500] or None,
        posted_at=posted_at.astimezone(UTC).replace(microsecond=0),
        lat=lat_,
        lon=lon_,
        address=(_text(address) or "")[:300] or None,
    )
