"""Writing: batches of `ImportedTicket` go to the database with their timeline events; a
ticket already there (same `external_id`) changes only where the record does."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, insert, select, update

from db import reference
from db.config import city_tz
from db.districts import CityDistricts
from db.rollup import lock_cells
from db.schema import categories, channels, departments, districts, ticket_events, tickets
from desk import sla
from desk.lifecycle import OPEN, Instants, ended_at
from feeds.importer.normalising import ImportedTicket, Note

ACTOR = "import"
DEFAULT_CHANNEL = "Import"
UNASSIGNED = "Unassigned"  # the department of a new category whose records name no agency
NEW_CATEGORY_SLA_HOURS = 24.0
DEFAULT_PRIORITY = 2
IN_CHUNK = 500  # values per SQL `IN (...)`, well under SQLite's limit on parameters

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
        self.own_districts = CityDistricts.read(conn)
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

    def place(self, name: str | None, lat: float | None, lon: float | None,
              kept: int | None = None) -> int | None:
        """A ticket's district: by its point once the city loaded its own districts
        (db/districts.py), else the one the source names (created when unknown), else `kept`."""
        if self.own_districts is not None:
            return self.own_districts.place(name, lat, lon, kept)
        return self.district(name) if name else kept

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
            lock_cells(self.conn, sorted(changes))  # the rollup's rows, in one order
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
            "district_id": self.refs.place(ticket.district, ticket.lat, ticket.lon),
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
            "district_id": self.refs.place(ticket.district, ticket.lat, ticket.lon,
                                           old.district_id),
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
        _in_department(events, department_id)
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
    return _in_department(sorted(events, key=_event_order), department_id)


def _in_department(events: list[dict[str, Any]], department_id: int) -> list[dict[str, Any]]:
    """Every event names the department the ticket is in after it (a move names its target)."""
    for event in events:
        if event["to_department_id"] is None:
            event["to_department_id"] = department_id
    return events
