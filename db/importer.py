"""`python -m db import FILE`: service requests from Open311 GeoReport v2 JSON or CSV.

Three layers, each testable alone:
- parsing (`read_records`): the file becomes (position, record) pairs, or (position, reason) for a
  record that cannot be read at all; the position is the 1-based record index in JSON and the
  line number in CSV;
- normalising (`normalise`): a record becomes a validated `ImportedTicket`, or the reason to skip
  it;
- writing (`TicketWriter`): batches of tickets go to the database with their timeline events; a
  ticket already there (same `external_id`, the service_request_id) changes only where the record
  does, so importing the same file twice changes nothing.

Instants written without an offset (real exports carry local times) are read as wall-clock time
in the zone given (`--tz`, default CITY_TZ); a wall time that occurs twice when clocks go back is
read as the first of the two. Instants are kept to the whole second.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, Row, Table, bindparam, insert, select, update
from tqdm import tqdm

from db import import_profiles, reference, sla
from db.config import city_tz
from db.engine import make_engine
from db.import_profiles import Profile, profile_for
from db.lifecycle import OPEN, Instants, ended_at, latest, status_at
from db.links import is_web_link
from db.schema import categories, channels, departments, districts, ticket_events, tickets
from db.transactions import Contention, retrying, write_transaction

ACTOR = "import"
DEFAULT_CHANNEL = "Import"
UNASSIGNED = "Unassigned"  # the department of a new category whose records name no agency
NEW_CATEGORY_SLA_HOURS = 24.0
DEFAULT_PRIORITY = 2
BATCH = 2000
IN_CHUNK = 500  # values per SQL `IN (...)`, well under SQLite's limit on parameters

REQUIRED_COLUMNS = ("service_request_id", "service_name", "requested_datetime")
YEARS = (1900, 2200)  # an instant outside these years is a typo or an attack, not a request
CSV_FIELD_LIMIT = 16 * 1024 * 1024  # csv's own limit (131,072) refused whole files
csv.field_size_limit(CSV_FIELD_LIMIT)

# Statuses real feeds use, by their lower-case words; Open311's own "open" is read from the
# instants instead (new, in progress or resolved).
STATUS_ALIASES: dict[str, str] = {
    "new": "new",
    "in progress": "in_progress",
    "accepted": "in_progress",
    "assigned": "in_progress",
    "pending": "in_progress",
    "resolved": "resolved",
    "closed": "closed",
    "completed": "closed",
    "rejected": "rejected",
    "cancelled": "rejected",
    "canceled": "rejected",
}

# Channel kinds guessed from the words of a channel name a feed gives (e.g. Chicago's "Phone Call").
CHANNEL_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "telephone", "call", "voice"),
    "email": ("email", "mail"),
    "social": ("twitter", "facebook", "vk", "vkontakte", "instagram", "telegram", "social"),
    "portal": ("web", "website", "portal", "internet", "app", "mobile", "online"),
}

# Order of a ticket's events that share an instant.
EVENT_RANK = {kind: rank for rank, kind in enumerate((
    "created", "assigned", "reassigned", "accepted", "rejected", "resolved", "reopened", "closed",
    "note"))}

_US_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)


class ImportFileError(Exception):
    """The file as a whole cannot be read; nothing of it is imported."""


# ---------------------------------------------------------------------------------------------
# Parsing: file -> (position, record dict | reason)

Parsed = tuple[int, dict[str, Any] | str]


@dataclass(frozen=True)
class Source:
    """The records of one file, and what a position in it means ("record" or "line")."""

    unit: str
    records: Iterator[Parsed]
    total: int
    tz: tzinfo | None = None  # the mapping's zone for instants without an offset, if it has one


def read_records(path: Path, mapping: Profile | None = None) -> Source:
    """Open a JSON array or a CSV file (by suffix, else by its first character); a CSV file is
    read through `mapping`, else through the shipped mapping its header matches, if any."""
    try:
        if _is_json(path):
            if mapping is not None:
                raise ImportFileError("a mapping file applies to a CSV export, not to JSON")
            return _read_json(path)
        return _read_csv(path, mapping)
    except UnicodeDecodeError:
        raise ImportFileError("not UTF-8 text") from None
    except OSError as exc:
        raise ImportFileError(exc.strerror or str(exc)) from None
    except csv.Error as exc:
        raise ImportFileError(f"unreadable CSV: {exc}") from None


def _is_json(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix == ".json"
    with path.open(encoding="utf-8-sig") as f:
        return f.read(1024).lstrip()[:1] in ("[", "{")


def _read_json(path: Path) -> Source:
    with path.open(encoding="utf-8-sig") as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:  # one record nested too deeply: read the others one by one
        items = _array_items(text)
        if items is None:
            raise ImportFileError("the JSON is nested too deeply") from None
        records = [(i, _one_record(item)) for i, item in enumerate(items, 1)]
        return Source("record", iter(records), len(records))
    if not isinstance(data, list):
        raise ImportFileError("the JSON is not an array of service requests")
    records: list[Parsed] = [
        (i, item if isinstance(item, dict) else "not a JSON object")
        for i, item in enumerate(data, 1)
    ]
    return Source("record", iter(records), len(records))


def _one_record(text: str) -> dict[str, Any] | str:
    try:
        item = json.loads(text)
    except RecursionError:
        return "nested too deeply"
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg})"
    return item if isinstance(item, dict) else "not a JSON object"


def _array_items(text: str) -> list[str] | None:
    """The texts of a JSON array's elements, found without parsing them (so without recursion);
    None when the text is not one array."""
    start = len(text) - len(text.lstrip())
    if text[start:start + 1] != "[":
        return None
    items, depth, in_string, escaped, begin = [], 0, False, False, start + 1
    for i in range(start + 1, len(text)):
        c = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            if depth == 0:
                last = text[begin:i]
                if last.strip() or items:
                    items.append(last)
                return items if not text[i + 1:].strip() else None
            depth -= 1
        elif c == "," and depth == 0:
            items.append(text[begin:i])
            begin = i + 1
    return None




def csv_header(path: Path) -> list[str]:
    """The columns of a CSV file's header."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), None)
    if header is None:
        raise ImportFileError("the CSV file is empty")
    return [name.strip() for name in header]


def _read_csv(path: Path, mapping: Profile | None) -> Source:
    """Check the header and count the records now, so that a bad file fails before any write."""
    given = csv_header(path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        total = sum(1 for row in csv.reader(f) if row) - 1
    profile = mapping or profile_for(given)
    columns = import_profiles.header(given, profile) if profile else given
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if "status" not in columns and "status_detail" not in columns:
        missing.append("status")
    if missing and mapping is not None:
        raise ImportFileError(f"under the mapping {mapping.name!r} the CSV header has no column "
                              f"for {', '.join(missing)} (its columns: {', '.join(given)})")
    if missing:
        raise ImportFileError(
            f"the CSV header lacks {', '.join(missing)} and no mapping file names its columns "
            f"({', '.join(given)}): write one with --write-mapping CITY.toml, fill it in, and "
            "import with --mapping CITY.toml")
    return Source("line", _csv_records(path, columns, profile), total,
                  profile.time_zone if profile else None)


def _csv_records(path: Path, columns: list[str], profile: Profile | None) -> Iterator[Parsed]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        next(rows)
        start = rows.line_num + 1
        for row in rows:
            if len(row) == len(columns):
                record = dict(zip(columns, row, strict=True))
                yield start, import_profiles.refine(record, profile) if profile else record
            elif row:
                yield start, f"{len(row)} fields where the header has {len(columns)}"
            start = rows.line_num + 1


# ---------------------------------------------------------------------------------------------
# Normalising: record -> ImportedTicket | reason


@dataclass(frozen=True)
class Note:
    """A dated remark on a ticket's timeline (an event of kind 'note')."""

    at: datetime
    text: str


@dataclass(frozen=True)
class ImportedTicket:
    """One validated request; names of reference rows are resolved to ids only when written."""

    external_id: str
    category: str
    department: str | None  # None: the category's default department
    channel: str | None  # None: the import channel (a new ticket) or the stored one
    district: str | None  # None: no district (a new ticket) or the stored one
    status: str
    instants: Instants
    updated: datetime  # the latest instant, or updated_datetime when later
    due: datetime | None  # expected_datetime; None: created + the category's SLA
    description: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    photo_urls: str | None = None  # a JSON array
    notes: tuple[Note, ...] = ()  # distinct
    status_notes: str | None = None  # a note at `updated`, written once per distinct text


class _Skip(Exception):
    """Why a record is skipped."""


def parse_instant(text: str, tz: tzinfo) -> datetime:
    """An aware UTC instant, whole seconds, from ISO-8601 (offset or 'Z') or US-style text.

    Text without an offset is wall-clock time in `tz`. Raises ValueError when unparsable.
    """
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _US_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"unparsable instant {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC).replace(microsecond=0)


def normalise(record: dict[str, Any], tz: tzinfo) -> ImportedTicket | str:
    """The ticket a record describes, or the reason it cannot be imported."""
    try:
        return _normalise(record, tz)
    except _Skip as skip:
        return str(skip)


def _normalise(record: dict[str, Any], tz: tzinfo) -> ImportedTicket:
    external_id = _text(record, "service_request_id")
    if external_id is None:
        raise _Skip("missing service_request_id")
    if len(external_id) > tickets.c.external_id.type.length:
        raise _Skip("service_request_id is longer than 64 characters")
    category = _text(record, "service_name") or _text(record, "service_code")
    if category is None:
        raise _Skip("missing service_name")
    created = _instant(record, "requested_datetime", tz, required=True)
    updated_given = _instant(record, "updated_datetime", tz)
    due = _instant(record, "expected_datetime", tz)
    instants = _lifecycle(record, tz, created, updated_given)
    updated = max(latest(instants), updated_given or created)
    lat, lon = _coordinates(record)
    extended = record.get("extended_attributes")
    extended = extended if isinstance(extended, dict) else {}
    return ImportedTicket(
        external_id=external_id,
        category=category[:200],
        department=_name(_text(record, "agency_responsible")),
        channel=_name(_text(record, "channel") or _text(extended, "channel")),
        district=_name(_text(record, "district") or _text(extended, "district")),
        status=status_at(instants),
        instants=instants,
        updated=updated,
        due=due,
        description=_text(record, "description"),
        address=_name(_text(record, "address"), tickets.c.address.type.length),
        lat=lat,
        lon=lon,
        photo_urls=_photo_urls(record.get("media_url")),
        notes=tuple(dict.fromkeys(_notes(record, tz))),
        status_notes=_text(record, "status_notes"),
    )


def _text(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise _Skip(f"{key} is not text")
    text = str(value)
    if "\x00" in text:  # PostgreSQL refuses it, SQLite keeps it: refused on both
        raise _Skip(f"{key} holds a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Skip(f"{key} is not valid Unicode (a lone surrogate)") from None
    return text.strip() or None


def _name(text: str | None, length: int = 200) -> str | None:
    """Reference names and addresses are cut to their columns' width rather than refused."""
    return text[:length] if text else None


def _instant(record: dict[str, Any], key: str, tz: tzinfo,
             required: bool = False) -> datetime | None:
    text = _text(record, key)
    if text is None:
        if required:
            raise _Skip(f"missing {key}")
        return None
    try:
        value = parse_instant(text, tz)
    except ValueError:
        raise _Skip(f"unparsable {key} {text[:100]!r}") from None
    except OverflowError:
        value = None
    if value is None or not YEARS[0] <= value.year <= YEARS[1]:
        raise _Skip(f"{key} {text[:100]!r} is outside the years {YEARS[0]}–{YEARS[1]}")
    return value


def _status_words(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def _target_status(record: dict[str, Any]) -> tuple[str | None, str]:
    """(status the record states, how it said so); None when Open311's "open" leaves it open."""
    detail = _text(record, "status_detail")
    if detail is not None:
        status = STATUS_ALIASES.get(_status_words(detail))
        if status is None:
            raise _Skip(f"unknown status_detail {detail!r}")
        return status, f"status_detail {detail!r}"
    given = _text(record, "status")
    if given is None:
        raise _Skip("missing status")
    if _status_words(given) == "open":
        return None, f"status {given!r}"
    status = STATUS_ALIASES.get(_status_words(given))
    if status is None:
        raise _Skip(f"unknown status {given!r}")
    return status, f"status {given!r}"


def _lifecycle(record: dict[str, Any], tz: tzinfo, created: datetime,
               updated: datetime | None) -> Instants:
    """The instants, completed from updated_datetime where the status needs one the record lacks.

    An in-progress request with no instant of acceptance is taken as accepted at its last change,
    or when it was made.

    A "closed" request is resolved and closed at updated_datetime unless the extension columns
    say otherwise; a rejected one ("Cancelled") ended at closed_datetime or updated_datetime.
    """
    target, stated = _target_status(record)
    accepted = _instant(record, "accepted_datetime", tz)
    resolved = _instant(record, "resolved_datetime", tz)
    closed = _instant(record, "closed_datetime", tz)
    rejected = None

    def last_change(name: str) -> datetime:
        if updated is None:
            raise _Skip(f"{stated} needs {name}_datetime or updated_datetime")
        return updated

    if target == "in_progress":
        # Work began at some unknown moment: the last change if given, else the request itself
        # (real feeds, e.g. NYC's, leave in-progress requests with no other instant).
        accepted = accepted or updated or created
    elif target == "resolved":
        resolved = resolved or last_change("resolved")
    elif target == "closed":
        closed = closed or last_change("closed")
        resolved = resolved or closed
    elif target == "rejected":
        rejected = closed or last_change("closed")  # a feed's "closed" is when it was refused
        closed = None
    instants = Instants(created, accepted, resolved, closed, rejected)
    _check_order(instants)
    reached = status_at(instants)
    if reached not in ((target,) if target else (*OPEN, "resolved")):
        raise _Skip(f"{stated} disagrees with the instants given, which say {reached}")
    return instants


def _check_order(t: Instants) -> None:
    for name, value in (("accepted", t.accepted), ("resolved", t.resolved),
                        ("closed", t.closed), ("rejected", t.rejected)):
        if value is not None and value < t.created:
            raise _Skip(f"{name} {_iso(value)} is before requested {_iso(t.created)}")
    if t.closed is not None and t.resolved is not None and t.closed < t.resolved:
        raise _Skip(f"closed {_iso(t.closed)} is before resolved {_iso(t.resolved)}")


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _coordinates(record: dict[str, Any]) -> tuple[float | None, float | None]:
    """(lat, lon); none when absent or (0, 0), a placeholder some feeds write for "unknown"."""
    lat = _degrees(record, "lat", 90)
    lon = _degrees(record, "long", 180)
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        raise _Skip("only one of lat and long is given")
    if lat == 0 and lon == 0:
        return None, None
    return lat, lon


def _degrees(record: dict[str, Any], key: str, limit: int) -> float | None:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise _Skip(f"{key} is not a number: {value!r}")
    if not -limit <= number <= limit:
        raise _Skip(f"{key} {value} is out of range [-{limit}, {limit}]")
    return number


def _photo_urls(value: Any) -> str | None:
    links = value if isinstance(value, list) else [value]
    links = [link.strip() for link in links if is_web_link(link)]  # only http(s) are photos
    return json.dumps(links) if links else None


def _notes(record: dict[str, Any], tz: tzinfo) -> list[Note]:
    """Dated activities (Chicago's `notes`); a CSV cannot carry them."""
    given = record.get("notes")
    if not isinstance(given, list):
        return []
    notes = []
    for i, note in enumerate(given, 1):
        try:
            if not isinstance(note, dict):
                raise _Skip("not an object")
            at = _instant(note, "datetime", tz, required=True)
            words = [_text(note, key) for key in ("summary", "description")]
            text = " — ".join(w for w in words if w) or _text(note, "type") or "note"
        except _Skip as skip:
            raise _Skip(f"note {i}: {skip}") from None
        notes.append(Note(at, text))
    return notes


# ---------------------------------------------------------------------------------------------
# Writing: batches of ImportedTicket -> tickets and ticket_events


@dataclass
class ImportReport:
    """What an import did; `unit` says what a skipped position counts ("record" or "line")."""

    unit: str = "record"
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skips: list[tuple[int, str]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.skips)

    @property
    def read(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.skipped

    def summary(self) -> str:
        return (f"read {self.read} records: {self.inserted} inserted, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.skipped} skipped")


def _channel_kind(name: str) -> str:
    words = set(re.split(r"\W+", name.lower()))
    for kind, hints in CHANNEL_KIND_WORDS.items():
        if words.intersection(hints):
            return kind
    return "other"


class _References:
    """Ids of departments, categories, channels and districts by name, read once, created once.

    Names match a row's code, name or Russian name in any case, as db.reference does.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.departments = self._read(departments)
        self.channels = self._read(channels)
        self.districts = self._read(districts)
        self.categories: dict[str, tuple[int, int, float]] = {}
        rows = conn.execute(select(
            categories.c.code, categories.c.name, categories.c.name_ru, categories.c.id,
            categories.c.department_id, categories.c.sla_hours,
        ).order_by(categories.c.id))
        for code, name, name_ru, *value in rows:
            for key in (code, name, name_ru):
                if key:
                    self.categories.setdefault(key.lower(), (value[0], value[1], float(value[2])))

    def _read(self, table: Table) -> dict[str, int]:
        ids: dict[str, int] = {}
        rows = self.conn.execute(
            select(table.c.code, table.c.name, table.c.name_ru, table.c.id).order_by(table.c.id))
        for *keys, id_ in rows:
            for key in keys:
                if key:
                    ids.setdefault(key.lower(), id_)
        return ids

    def department(self, name: str) -> int:
        key = name.lower()
        if key not in self.departments:
            self.departments[key] = reference.department_id(self.conn, name)
        return self.departments[key]

    def category(self, name: str, department: str | None) -> tuple[int, int, float]:
        """(id, default department id, SLA hours); a new one belongs to `department`."""
        key = name.lower()
        if key not in self.categories:
            self.categories[key] = reference.category_id(
                self.conn, name, self.department(department or UNASSIGNED),
                NEW_CATEGORY_SLA_HOURS)
        return self.categories[key]

    def channel(self, name: str) -> int:
        key = name.lower()
        if key not in self.channels:
            self.channels[key] = reference.channel_id(self.conn, name, _channel_kind(name))
        return self.channels[key]

    def district(self, name: str) -> int:
        key = name.lower()
        if key not in self.districts:
            self.districts[key] = reference.district_id(self.conn, name)
        return self.districts[key]


# The columns an import owns: compared with the record and rewritten when it differs.
OWNED = ("channel_id", "category_id", "department_id", "district_id", "status", "description",
         "address", "lat", "lon", "photo_urls", "created_at", "accepted_at", "resolved_at",
         "closed_at", "rejected_at", "ended_at", "due_at", "due_basis")
_INSTANT_KINDS = ("accepted", "resolved", "closed", "rejected")

_UPDATE = (
    update(tickets)
    .where(tickets.c.id == bindparam("b_id"), tickets.c.version == bindparam("b_version"))
    .values({name: bindparam(f"b_{name}")
             for name in (*OWNED, "updated_at", "reopen_count", "source_department")})
    .values(version=tickets.c.version + 1)
)


def _chunks(values: Sequence, size: int = IN_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass
class _History:
    """What an existing ticket's timeline already holds that an import must not repeat or undo."""

    notes: set[Note] = field(default_factory=set)
    reassigned_here: bool = False


class ConcurrentChange(Exception):
    """A ticket kept changing under the import, `CAS_ATTEMPTS` times in a row."""


CAS_ATTEMPTS = 3


def lock_existing(conn: Connection, external_ids: Iterable[str]) -> None:
    """Lock, until the transaction ends, the stored tickets among `external_ids`, in the order of
    their ids (the order every writer of tickets locks in, so that none waits on another in a
    cycle). An import locks all of its file's tickets first; a single batch needs no call."""
    _locked(conn, list(external_ids), select(tickets.c.id))


def _locked(conn: Connection, external_ids: list[str], what) -> list[Row]:
    """`what` (a select of tickets) for the tickets among `external_ids`, each locked until the
    transaction ends, locked and read in id order (after the lock, so as they now are)."""
    ids: list[int] = []
    for chunk in _chunks(external_ids):
        ids += conn.execute(select(tickets.c.id).where(tickets.c.external_id.in_(chunk))).scalars()
    rows: list[Row] = []
    for chunk in _chunks(sorted(ids)):
        rows += conn.execute(what.where(tickets.c.id.in_(chunk))
                             .order_by(tickets.c.id).with_for_update()).all()
    return rows


class TicketWriter:
    """Writes batches of tickets through one connection (inside the caller's transaction).

    Every caller (the file import, a feed's sync) gets the same guarantees: the batch's stored
    tickets are locked in id order and read after the lock; each update is conditional on the
    version read (compare-and-set), and one that finds a newer version is recomputed on fresh
    state, never written over it; a ticket's department follows the source only when the
    source's own word changed since it was last read; `updated_at` never goes back.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.refs = _References(conn)
        self.sla = sla.load(conn, city_tz())

    def write(self, batch: Sequence[ImportedTicket]) -> tuple[int, int, int]:
        """(inserted, updated, unchanged) for a batch of tickets with distinct external ids."""
        existing = self._existing([t.external_id for t in batch])
        history = self._history([row.id for row in existing.values()])
        new_rows: list[dict[str, Any]] = []
        new_tickets: list[ImportedTicket] = []
        changes: dict[int, tuple[ImportedTicket, dict[str, Any], list[dict[str, Any]]]] = {}
        events: list[dict[str, Any]] = []
        for ticket in batch:
            old = existing.get(ticket.external_id)
            if old is None:
                new_rows.append(self._insert_row(ticket))
                new_tickets.append(ticket)
                continue
            change, change_events = self._update(ticket, old, history.get(old.id, _History()))
            if change is not None:
                changes[old.id] = (ticket, change, change_events)
        updated = len(changes)
        if changes:
            rows = [changes[id_][1] for id_ in sorted(changes)]  # in id order, as locked
            self.conn.execute(_UPDATE, rows)
            for id_ in self._lost(rows):
                ticket = changes.pop(id_)[0]
                redone = self._write_change(ticket)
                updated -= redone is None
                events.extend(redone or [])
            events += [e for _, _, change_events in changes.values() for e in change_events]
        if new_rows:
            ids = dict(self.conn.execute(
                insert(tickets).returning(tickets.c.external_id, tickets.c.id), new_rows).all())
            for ticket, row in zip(new_tickets, new_rows, strict=True):
                events.extend(_timeline(ids[ticket.external_id], ticket, row["department_id"]))
        if events:
            self.conn.execute(insert(ticket_events), events)
        return len(new_rows), updated, len(batch) - len(new_rows) - updated

    def _lost(self, rows: list[dict[str, Any]]) -> list[int]:
        """The updates whose compare-and-set found a newer version (so wrote nothing): the
        ticket's version is not the one they read plus one."""
        wanted = {row["b_id"]: row["b_version"] + 1 for row in rows}
        lost = []
        for chunk in _chunks(sorted(wanted)):
            for id_, version in self.conn.execute(
                    select(tickets.c.id, tickets.c.version).where(tickets.c.id.in_(chunk))):
                if version != wanted[id_]:
                    lost.append(id_)
        return lost

    def _write_change(self, ticket: ImportedTicket) -> list[dict[str, Any]] | None:
        """Update one stored ticket from fresh state, conditional on the version read; the
        events to write, or None when nothing changes any more."""
        for _ in range(CAS_ATTEMPTS):
            old = self._existing([ticket.external_id])[ticket.external_id]
            history = self._history([old.id]).get(old.id, _History())
            change, events = self._update(ticket, old, history)
            if change is None:
                return None
            if self.conn.execute(_UPDATE, change).rowcount == 1:
                return events
        raise ConcurrentChange(f"ticket {ticket.external_id} kept changing while it was imported")

    def _existing(self, external_ids: list[str]) -> dict[str, Row]:
        """The stored tickets, locked in id order and read after the lock (so, fresh)."""
        return {row.external_id: row
                for row in _locked(self.conn, external_ids, select(tickets))}

    def _history(self, ticket_ids: list[int]) -> dict[int, _History]:
        """Notes already on each ticket, and whether the desk itself has reassigned it."""
        history: dict[int, _History] = {}
        for chunk in _chunks(ticket_ids):
            rows = self.conn.execute(
                select(ticket_events.c.ticket_id, ticket_events.c.kind, ticket_events.c.at,
                       ticket_events.c.actor, ticket_events.c.note)
                .where(ticket_events.c.ticket_id.in_(chunk),
                       ticket_events.c.kind.in_(("note", "reassigned"))))
            for ticket_id, kind, at, actor, note in rows:
                seen = history.setdefault(ticket_id, _History())
                if kind == "note":
                    seen.notes.add(Note(at, note or ""))
                elif actor != ACTOR:
                    seen.reassigned_here = True
        return history

    def _insert_row(self, ticket: ImportedTicket) -> dict[str, Any]:
        category_id, category_department, _ = self.refs.category(
            ticket.category, ticket.department)
        department_id = (self.refs.department(ticket.department) if ticket.department
                         else category_department)
        t = ticket.instants
        due = self.sla.due(t.created, category_id, DEFAULT_PRIORITY, given=ticket.due)
        return {
            "external_id": ticket.external_id,
            "channel_id": self.refs.channel(ticket.channel or DEFAULT_CHANNEL),
            "category_id": category_id,
            "department_id": department_id,
            "district_id": self.refs.district(ticket.district) if ticket.district else None,
            "status": ticket.status,
            "priority": DEFAULT_PRIORITY,
            "description": ticket.description,
            "address": ticket.address,
            "lat": ticket.lat,
            "lon": ticket.lon,
            "location_approx": False,
            "photo_urls": ticket.photo_urls,
            **_instant_columns(t),
            "due_at": due.at,
            "due_basis": due.basis,
            "due_hours": due.hours,
            "updated_at": ticket.updated,
            "version": 1,
            "reopen_count": 0,
            "source_department": ticket.department,
        }

    def _update(self, ticket: ImportedTicket, old: Row,
                history: _History) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The update (None when nothing changed) and the events of what the record newly reached.

        Any change, a new note included, bumps the version. Fields the record leaves out
        (channel, district, expected_datetime, agency) keep their stored values. The department
        follows the record's agency only when the source's own word changed since the ticket
        was last read (`source_department`): a reassignment made at the desk meanwhile stands
        until the source itself says otherwise. Before the source's word was kept (tickets
        imported before migration 0011), a desk's reassignment outranks the feed.
        """
        category_id = self.refs.category(ticket.category, ticket.department)[0]
        department_id = old.department_id
        said, said_before = ticket.department, old.source_department
        if said and (said.casefold() != (said_before or "").casefold()) and not (
                said_before is None and history.reassigned_here):
            department_id = self.refs.department(said)
        t = ticket.instants
        values = {
            "channel_id": self.refs.channel(ticket.channel) if ticket.channel else old.channel_id,
            "category_id": category_id,
            "department_id": department_id,
            "district_id": (self.refs.district(ticket.district) if ticket.district
                            else old.district_id),
            "status": ticket.status,
            "description": ticket.description,
            "address": ticket.address,
            "lat": ticket.lat,
            "lon": ticket.lon,
            "photo_urls": ticket.photo_urls,
            **_instant_columns(t),
            "due_at": ticket.due or old.due_at,
            "due_basis": "given" if ticket.due else old.due_basis,
        }
        at = ticket.updated
        events = []
        for kind in _INSTANT_KINDS:
            new, before = getattr(t, kind), getattr(old, f"{kind}_at")
            if new is not None and (before is None or new > before):
                events.append(_event(old.id, kind, new))
        reopened = old.status not in OPEN and ticket.status in OPEN
        if reopened:
            events.append(_event(old.id, "reopened", at))
        if department_id != old.department_id:
            events.append(_event(old.id, "reassigned", at, from_department_id=old.department_id,
                                 to_department_id=department_id))
        events += [_event(old.id, "note", n.at, note=n.text)
                   for n in ticket.notes if n not in history.notes]
        if ticket.status_notes and ticket.status_notes not in {n.text for n in history.notes}:
            events.append(_event(old.id, "note", at, note=ticket.status_notes))
        events.sort(key=_event_order)
        source = said if said else said_before
        if not events and source == said_before and all(
                values[name] == getattr(old, name) for name in OWNED):
            return None, []
        row = {f"b_{name}": value for name, value in values.items()}
        row.update(b_id=old.id, b_version=old.version, b_updated_at=max(at, old.updated_at),
                   b_reopen_count=old.reopen_count + reopened, b_source_department=source)
        return row, events


def _instant_columns(t: Instants) -> dict[str, datetime | None]:
    """A ticket's instant columns, the end of its open work included, from its instants."""
    return {"created_at": t.created, "accepted_at": t.accepted, "resolved_at": t.resolved,
            "closed_at": t.closed, "rejected_at": t.rejected, "ended_at": ended_at(t)}


def _event(ticket_id: int, kind: str, at: datetime, *, from_department_id: int | None = None,
           to_department_id: int | None = None, note: str | None = None) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "kind": kind, "at": at, "actor": ACTOR,
            "from_department_id": from_department_id, "to_department_id": to_department_id,
            "note": note}


def _event_order(event: dict[str, Any]) -> tuple[datetime, int]:
    return event["at"], EVENT_RANK[event["kind"]]


def _timeline(ticket_id: int, ticket: ImportedTicket, department_id: int) -> list[dict[str, Any]]:
    """A new ticket's events: created, assigned, each instant it reached, and its notes."""
    t = ticket.instants
    events = [
        _event(ticket_id, "created", t.created),
        _event(ticket_id, "assigned", t.created, to_department_id=department_id),
        *(_event(ticket_id, kind, getattr(t, kind)) for kind in _INSTANT_KINDS
          if getattr(t, kind) is not None),
        *(_event(ticket_id, "note", n.at, note=n.text) for n in ticket.notes),
    ]
    if ticket.status_notes:
        events.append(_event(ticket_id, "note", ticket.updated, note=ticket.status_notes))
    return sorted(events, key=_event_order)


# ---------------------------------------------------------------------------------------------
# The command


def import_file(target: Engine | Connection, path: str | Path, tz: tzinfo | None = None, *,
                progress: bool = False, mapping: Profile | None = None) -> ImportReport:
    """Import one file; an engine gets one transaction, so a file that fails writes nothing.

    A connection is used inside its caller's transaction. Raises ImportFileError when the file
    itself cannot be read; bad records are skipped and listed in the report. Instants without an
    offset are read in `tz`, else in the mapping's zone, else in CITY_TZ. With an engine, a
    deadlock or a lock held too long by other writers retries the whole file on fresh state a
    few times, then raises `db.transactions.Contention`.
    """
    path = Path(path)
    source = read_records(path, mapping)
    tz = tz or source.tz or city_tz()
    if not isinstance(target, Engine):
        return _import(target, source, tz, progress)
    sources = iter([source])

    def work() -> ImportReport:
        with write_transaction(target) as conn:
            return _import(conn, next(sources, None) or read_records(path, mapping), tz, progress)

    return retrying(work)


def _import(conn: Connection, source: Source, tz: tzinfo, progress: bool) -> ImportReport:
    """Read and check every record first, lock the file's stored tickets in id order, then write
    in batches: the import never holds one ticket while it waits for another."""
    report = ImportReport(unit=source.unit)
    seen: dict[str, int] = {}
    batch: list[ImportedTicket] = []
    valid: list[ImportedTicket] = []
    with tqdm(total=source.total, unit=" requests", file=sys.stderr, desc="reading",
              disable=None if progress else True) as bar:
        for position, ticket in _tickets(source.records, tz):
            bar.update()
            if isinstance(ticket, str):
                report.skips.append((position, ticket))
            elif ticket.external_id in seen:
                report.skips.append((position, f"service_request_id {ticket.external_id!r} "
                                               f"repeats {source.unit} {seen[ticket.external_id]}"))
            else:
                seen[ticket.external_id] = position
                valid.append(ticket)
    lock_existing(conn, seen)
    writer = TicketWriter(conn)
    bar = tqdm(total=len(valid), unit=" requests", file=sys.stderr, desc="writing",
               disable=None if progress else True)

    def flush() -> None:
        inserted, updated, unchanged = writer.write(batch)
        report.inserted += inserted
        report.updated += updated
        report.unchanged += unchanged
        bar.update(len(batch))
        batch.clear()
        bar.set_postfix_str(f"{report.inserted} inserted, {report.updated} updated, "
                            f"{report.unchanged} unchanged, {report.skipped} skipped",
                            refresh=False)

    for ticket in valid:
        batch.append(ticket)
        if len(batch) >= BATCH:
            flush()
    flush()
    bar.close()
    return report


def _tickets(records: Iterable[Parsed], tz: tzinfo) -> Iterator[tuple[int, ImportedTicket | str]]:
    for position, record in records:
        yield position, record if isinstance(record, str) else normalise(record, tz)


def import_command(args: argparse.Namespace) -> int:
    """Print the counts, and each skipped record on stderr.

    Exit 0 when everything was imported, 1 when any record was skipped, 2 when the file (or the
    time zone) is unusable: then nothing is written.
    """
    try:
        tz = ZoneInfo(args.tz) if args.tz else None
    except (ZoneInfoNotFoundError, ValueError):
        print(f"import: unknown time zone {args.tz!r}", file=sys.stderr)
        return 2
    if args.write_mapping:
        return _write_mapping(Path(args.file), Path(args.write_mapping))
    try:
        mapping = import_profiles.load(args.mapping) if args.mapping else None
    except import_profiles.MappingError as exc:
        print(f"import: mapping {exc}", file=sys.stderr)
        return 2
    engine = make_engine(args.database)
    try:
        report = import_file(engine, args.file, tz, progress=True, mapping=mapping)
    except ImportFileError as exc:
        print(f"import: {args.file}: {exc}", file=sys.stderr)
        return 2
    except (Contention, ConcurrentChange) as exc:
        print(f"import: {args.file}: {exc}; nothing was written, run it again", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for position, reason in report.skips:
        print(f"{args.file}: {report.unit} {position}: {reason}", file=sys.stderr)
    print(report.summary())
    return 1 if report.skips else 0



def _write_mapping(path: Path, out: Path) -> int:
    """A starter mapping file for the export's header; nothing is imported."""
    if out.exists():
        print(f"import: {out} exists; give another name, or delete it first", file=sys.stderr)
        return 2
    try:
        columns = csv_header(path)
        out.write_text(import_profiles.starter(columns, path.stem), encoding="utf-8")
    except UnicodeDecodeError:
        print(f"import: {path}: not UTF-8 text", file=sys.stderr)
        return 2
    except (OSError, csv.Error, ImportFileError) as exc:
        print(f"import: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {len(columns)} columns of {path.name}; fill it in, then "
          f"python -m db import {path} --mapping {out}")
    return 0
