"""Any city's 311 export, read as Open311, through a mapping file (TOML) instead of code.

A mapping names the export's column for each Open311 field (and extension), its own status words,
its agencies' codes → names, its date format(s) and its time zone. The mappings shipped in
`feeds/mappings/` are chosen by header alone (every column of a file's `detect` present), so
`python -m db import` takes such an export as it is; another is given with `--mapping CITY.toml`.
For a header that nothing maps, `starter` writes a mapping to fill in, with the columns guessed
from their names. Columns a mapping does not name are kept, and ignored.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SHIPPED = Path(__file__).resolve().parent / "mappings"
STATUSES = ("new", "in_progress", "resolved", "closed", "rejected")
INSTANT_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime",
                  "accepted_datetime", "resolved_datetime", "closed_datetime")
# Every field a mapping may fill, with words that hint at it in a column's name (for `starter`).
FIELDS: dict[str, tuple[str, ...]] = {
    "service_request_id": ("service_request_id", "case_enquiry_id", "unique key", "srnumber",
                           "request id", "case id", "id"),
    "requested_datetime": ("requested", "created", "open_dt", "opened", "open date"),
    "updated_datetime": ("updated", "modified", "last change"),
    "expected_datetime": ("expected", "due", "target", "sla"),
    "accepted_datetime": ("accepted",),
    "resolved_datetime": ("resolved",),
    "closed_datetime": ("closed",),
    "status": ("status", "state"),
    "status_detail": ("status_detail",),
    "service_name": ("service_name", "complaint type", "request type", "requesttype", "type",
                     "category"),
    "agency_responsible": ("agency", "department", "owner"),
    "description": ("description", "descriptor", "title", "details"),
    "address": ("address", "location"),
    "district": ("district", "neighborhood", "neighbourhood", "borough", "ward"),
    "channel": ("channel", "source", "origin"),
    "lat": ("latitude", "lat"),
    "long": ("longitude", "long", "lon", "lng"),
    "media_url": ("media", "photo"),
    "status_notes": ("status_notes", "resolution", "closure_reason"),
}
REQUIRED = ("service_request_id", "service_name", "requested_datetime")


class MappingError(Exception):
    """A mapping file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class Profile:
    name: str
    detect: frozenset[str]
    columns: dict[str, str]  # the export's column -> the Open311 (or extension) field
    statuses: dict[str, str]  # the export's own status words (lower case) -> ours
    agencies: dict[str, str] = field(default_factory=dict)  # an agency's code -> its name
    time_zone: ZoneInfo | None = None  # where instants without an offset are local time
    date_formats: tuple[str, ...] = ()  # strptime formats, tried before the importer's own


def load(path: str | Path) -> Profile:
    """A mapping file, checked: raises MappingError with a one-line reason."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise MappingError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML ({exc})") from None
    try:
        return _profile(data, path.stem)
    except (TypeError, ValueError, AttributeError) as exc:
        raise MappingError(f"{path}: {exc}") from None


def _profile(data: dict, stem: str) -> Profile:
    fields = _table(data, "columns")
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ValueError(f"[columns] names no Open311 field {', '.join(unknown)} "
                         f"(known: {', '.join(FIELDS)})")
    fields = {name: column for name, column in fields.items() if column}
    missing = [name for name in REQUIRED if name not in fields]
    if "status" not in fields and "status_detail" not in fields:
        missing.append("status")
    if missing:
        raise ValueError(f"[columns] gives no column for {', '.join(missing)}")
    statuses = {word.strip().lower(): ours for word, ours in _table(data, "statuses").items()}
    wrong = sorted(ours for ours in statuses.values() if ours not in STATUSES)
    if wrong:
        raise ValueError(f"[statuses] maps to {', '.join(wrong)}; ours are {', '.join(STATUSES)}")
    zone = data.get("time_zone")
    try:
        time_zone = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time_zone {zone!r}") from None
    formats = tuple(data.get("date_formats") or ())
    if not all(isinstance(f, str) and "%" in f for f in formats):
        raise ValueError("date_formats must be strptime formats such as \"%m/%d/%Y %H:%M\"")
    return Profile(
        name=str(data.get("name") or stem),
        detect=frozenset(data.get("detect") or fields.values()),
        columns={column: name for name, column in fields.items()},
        statuses=statuses,
        agencies=dict(_table(data, "agencies")),
        time_zone=time_zone,
        date_formats=formats,
    )


def _table(data: dict, name: str) -> dict[str, str]:
    table = data.get(name) or {}
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ValueError(f"[{name}] must hold text values only")
    return table


@cache
def shipped() -> tuple[Profile, ...]:
    """The mappings that come with the project, by file name."""
    return tuple(load(path) for path in sorted(SHIPPED.glob("*.toml")))


def profile_for(columns: list[str]) -> Profile | None:
    """The shipped mapping whose columns this header has, if any."""
    present = set(columns)
    return next((p for p in shipped() if p.detect <= present), None)


def header(columns: list[str], profile: Profile) -> list[str]:
    """The export's header with its columns renamed to Open311 fields."""
    return [profile.columns.get(name, name) for name in columns]


def refine(record: dict[str, str], profile: Profile) -> dict[str, str]:
    """A row (already under Open311 names) with what the mapping knows beyond a rename: its own
    status word as our status, its agency's code as the agency's name, and its instants in its
    own date format rewritten as ISO-8601 (still local time, read in the mapping's zone)."""
    refined = dict(record)
    status = (record.get("status") or "").strip().lower()
    if status in profile.statuses:
        refined["status_detail"] = profile.statuses[status]
    agency = (record.get("agency_responsible") or "").strip()
    if agency in profile.agencies:
        refined["agency_responsible"] = profile.agencies[agency]
    for name in INSTANT_FIELDS:
        text = (record.get(name) or "").strip()
        for fmt in profile.date_formats if text else ():
            try:
                refined[name] = datetime.strptime(text, fmt).isoformat()
                break
            except ValueError:
                continue
    return refined


def starter(columns: list[str], name: str) -> str:
    """A mapping file for this header to fill in: each field with the column its name suggests
    (or empty), and every column of the export listed."""
    taken: set[str] = set()
    lines = [f"# A mapping for {name}: check each column, fill in the empty ones (or delete them),",
             "# then: python -m db import FILE --mapping THIS_FILE.toml",
             f"# The export's columns: {', '.join(columns)}",
             f"name = {json.dumps(name, ensure_ascii=False)}",
             f"detect = {json.dumps(columns[:4], ensure_ascii=False)}"
             "   # columns whose presence picks this mapping",
             "time_zone = \"\"   # e.g. \"America/New_York\": instants without an offset are local "
             "time there (empty: --tz or CITY_TZ)",
             "date_formats = []   # e.g. [\"%m/%d/%Y %I:%M:%S %p\"]; ISO-8601 and US styles are "
             "read anyway",
             "",
             "[columns]   # Open311 field = the export's column"]
    for field_name, hints in FIELDS.items():
        column = _guess(columns, hints, taken)
        taken.add(column)
        note = "   # required" if field_name in (*REQUIRED, "status") else ""
        lines.append(f"{field_name} = {json.dumps(column, ensure_ascii=False)}{note}")
    lines += ["", "[statuses]   # the export's own status words = ours: "
                  "new, in_progress, resolved, closed, rejected",
              "# \"referred out\" = \"rejected\"",
              "", "[agencies]   # agency codes in the export = their names",
              "# BOS = \"LA Sanitation (BOS)\"", ""]
    return "\n".join(lines)


def _guess(columns: list[str], hints: tuple[str, ...], taken: set[str]) -> str:
    """The first column (not yet taken) whose name is, or else contains, a hint."""
    free = [c for c in columns if c not in taken]
    norm = {c: c.lower().replace("_", " ").strip() for c in free}
    for hint in hints:
        words = hint.replace("_", " ")
        exact = [c for c in free if norm[c] == words]
        if exact:
            return exact[0]
    for hint in hints:
        words = hint.replace("_", " ")
        if len(words) < 3:
            continue
        partial = [c for c in free if words in norm[c]]
        if partial:
            return partial[0]
    return ""
