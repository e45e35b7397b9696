"""Normalising: a record becomes a validated `ImportedTicket`, or the reason to skip it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from db.instants import YEARS, OutOfRange, parse_record_instant
from db.links import is_public_photo_link
from db.schema import tickets
from desk.lifecycle import OPEN, Instants, latest, status_at

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
        return parse_record_instant(text, tz)
    except OutOfRange:
        raise _Skip(f"{key} {text[:100]!r} is outside the years {YEARS[0]}–{YEARS[1]}") from None
    except ValueError:
        raise _Skip(f"unparsable {key} {text[:100]!r}") from None


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
    links = [link.strip() for link in links if is_public_photo_link(link)]  # public http(s)
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
