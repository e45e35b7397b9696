"""Intake into the database: each message becomes a ticket, a duplicate report, a rejected or an
ignored one, and every decision is kept in `ticket_reports`.

Each message is decided in its own transaction, so a ticket created from one line is there for
the duplicate check of the next; one that meets a deadlock or a unique violation (another writer
made the same ticket or report first) is decided again whole, as every writer's is
(`db.transactions.retrying`). A message already decided (same link) keeps its decision: running
a file twice creates nothing new and reports the same.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import DataError, IntegrityError
from tqdm import tqdm

from db.config import city_tz
from db.districts import CityDistricts
from db.reference import channel_id
from db.schema import categories, departments, districts, ticket_events, ticket_reports, tickets
from db.transactions import Contention, retrying
from desk import sla
from feeds.intake.classify import Verdict, classify
from feeds.intake.messages import Broken, Message, parse_line
from feeds.intake.places import Place, find_address, find_district, metres
from feeds.intake.rules import Rules, Thresholds, load_rules

METRES_PER_DEGREE = 111_195.0
DEFAULT_PRIORITY = 2  # the tickets table's default: a post says nothing of urgency


class IntakeError(RuntimeError):
    """The database cannot take the intake (its categories are not the rules' ones)."""


@dataclass(frozen=True)
class Outcome:
    """What became of one input line: one line of the report."""

    line: int | None  # None: not read from a file
    decision: str  # ticket | duplicate | rejected | ignored | broken
    ticket: str | None = None  # the external id of the ticket made or attached to
    category: str | None = None
    department: str | None = None
    reason: str | None = None

    def report(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Reference:
    """The city's categories and districts, read once per run."""

    categories: dict[str, tuple[int, int, float]]  # code -> (id, department id, SLA hours)
    category_codes: dict[int, str]
    department_codes: dict[int, str]
    districts: dict[str, tuple[int, float | None, float | None]]  # code -> (id, lat, lon)
    district_names: dict[str, tuple[str, str | None]]
    sla: sla.Sla  # the deadline rules in force
    own_districts: CityDistricts | None = None  # the city's own outlines, once loaded


@dataclass(frozen=True)
class Location:
    place: Place
    lat: float | None
    lon: float | None
    approx: bool
    district_id: int | None


def read_reference(conn: Connection, rules: Rules) -> Reference:
    """The reference rows intake routes into; every category the rules name must exist."""
    cats = {r.code: (r.id, r.department_id, float(r.sla_hours)) for r in conn.execute(
        select(categories.c.code, categories.c.id, categories.c.department_id,
               categories.c.sla_hours))}
    wanted = [g.name for g in rules.categories] + [rules.thresholds.fallback_category]
    missing = [code for code in wanted if code not in cats]
    if missing:
        raise IntakeError(
            f"the categories table lacks {', '.join(missing)}, which the rules name: a "
            "misspelt code in the rules (python -m db list categories), or the city's "
            "reference data is not loaded yet (python -m db seed)"
        )
    rows = conn.execute(select(districts.c.code, districts.c.id, districts.c.name,
                               districts.c.name_ru, districts.c.lat, districts.c.lon)).all()
    return Reference(
        categories=cats,
        category_codes={v[0]: k for k, v in cats.items()},
        department_codes=dict(conn.execute(select(departments.c.id, departments.c.code)).all()),
        districts={r.code: (r.id, r.lat, r.lon) for r in rows},
        district_names={r.code: (r.name, r.name_ru) for r in rows},
        sla=sla.load(conn, city_tz()),
        own_districts=CityDistricts.read(conn),
    )


def locate(message: Message, ref: Reference) -> Location:
    """Coordinates as sent; else our street's or the named district's centre, marked approximate."""
    if message.address:
        given = find_address(message.address)
        place = Place(message.address, given.street, given.house, given.district)
    else:
        place = find_address(message.text)
    code = place.district or find_district(message.text, ref.district_names)
    district = ref.districts.get(code) if code else None
    district_id = district[0] if district else None
    if ref.own_districts is not None:  # its point decides, else the district it names
        district_id = ref.own_districts.place(code, message.lat, message.lon)
    if message.lat is not None and message.lon is not None:
        return Location(place, message.lat, message.lon, False, district_id)
    if district and district[1] is not None and district[2] is not None:
        return Location(place, district[1], district[2], True, district_id)
    return Location(place, None, None, False, district_id)


def find_duplicate(conn: Connection, category_id: int, posted_at: datetime, where: Location,
                   t: Thresholds) -> tuple[int, str, int, str] | None:
    """(id, external id, department id, why) of an open ticket this message reports again.

    Same category, created within the window before the message, and either within the radius
    (both located exactly; candidates cut by a bounding box in SQL, measured here) or at the same
    address (same street, and the same house unless one of them names none).
    """
    recent = select(tickets.c.id, tickets.c.external_id, tickets.c.department_id,
                    tickets.c.lat, tickets.c.lon, tickets.c.address, tickets.c.created_at).where(
        tickets.c.category_id == category_id,
        tickets.c.ended_at.is_(None),
        tickets.c.created_at >= posted_at - timedelta(hours=t.duplicate_window_hours),
        tickets.c.created_at <= posted_at,
    )
    found: list[tuple[tuple, tuple[int, str, int, str]]] = []

    def hours(created: datetime) -> str:
        return f"{(posted_at - created).total_seconds() / 3600:.1f} h"

    if where.lat is not None and where.lon is not None and not where.approx:
        dlat = t.duplicate_radius_m / METRES_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(where.lat)), 0.01)
        for r in conn.execute(recent.where(
            tickets.c.location_approx.is_(False),
            tickets.c.lat.between(where.lat - dlat, where.lat + dlat),
            tickets.c.lon.between(where.lon - dlon, where.lon + dlon),
        )):
            d = metres(where.lat, where.lon, r.lat, r.lon)
            if d <= t.duplicate_radius_m:
                why = f"same problem {d:.0f} m from {r.external_id}, {hours(r.created_at)} earlier"
                found.append(((1, d, -r.created_at.timestamp()),
                              (r.id, r.external_id, r.department_id, why)))
    key = where.place.key
    if key is not None:
        for r in conn.execute(recent.where(tickets.c.address.is_not(None))):
            other = find_address(r.address).key or (r.address, None)
            if other[0] != key[0]:
                continue
            if key[1] is not None and other[1] is not None and key[1] != other[1]:
                continue
            why = f"same problem at {r.address} ({r.external_id}), {hours(r.created_at)} earlier"
            rank = 0 if key[1] == other[1] else 2
            found.append(((rank, 0.0, -r.created_at.timestamp()),
                          (r.id, r.external_id, r.department_id, why)))
    return min(found)[1] if found else None


def _report(conn: Connection, message: Message, channel: int, decision: str, reason: str | None,
            category_id: int | None, ticket_id: int | None, where: Location | None,
            now: datetime) -> None:
    conn.execute(insert(ticket_reports).values(
        message_key=message.key, line=message.line, channel_id=channel, author=message.author,
        url=message.url, text=message.text, posted_at=message.posted_at,
        address=where.place.address if where else message.address,
        lat=where.lat if where else message.lat, lon=where.lon if where else message.lon,
        decision=decision, reason=reason, category_id=category_id, ticket_id=ticket_id,
        received_at=now,
    ))


def _earlier(conn: Connection, message: Message, ref: Reference) -> Outcome | None:
    """The decision already taken about this message, if it was read before."""
    row = conn.execute(
        select(ticket_reports.c.decision, ticket_reports.c.reason, ticket_reports.c.category_id,
               tickets.c.external_id, tickets.c.department_id)
        .select_from(ticket_reports.outerjoin(tickets, tickets.c.id == ticket_reports.c.ticket_id))
        .where(ticket_reports.c.message_key == message.key)
    ).first()
    if row is None:
        return None
    return Outcome(message.line, row.decision, row.external_id,
                   ref.category_codes.get(row.category_id),
                   ref.department_codes.get(row.department_id), row.reason)


def _create_ticket(conn: Connection, message: Message, category: str, ref: Reference,
                   where: Location, channel: int, now: datetime) -> tuple[int, str, int]:
    """A new ticket with its 'created' and 'assigned' events: (id, external id, department id)."""
    category_id, department_id, _ = ref.categories[category]
    external_id = "SOC-" + message.key[:12].upper()
    existing = conn.execute(select(tickets.c.id, tickets.c.department_id)
                            .where(tickets.c.external_id == external_id)).first()
    if existing:
        return existing.id, external_id, existing.department_id
    created = message.posted_at
    due = ref.sla.due(created, category_id, DEFAULT_PRIORITY)
    ticket_id = conn.execute(insert(tickets).values(
        external_id=external_id, channel_id=channel, category_id=category_id,
        department_id=department_id, district_id=where.district_id, status="new",
        description=message.text, address=(where.place.address or "")[:300] or None,
        lat=where.lat, lon=where.lon, location_approx=where.approx, source_url=message.url,
        created_at=created, due_at=due.at, due_basis=due.basis, due_hours=due.hours,
        updated_at=created, version=1,
    ).returning(tickets.c.id)).scalar_one()
    actor = f"{message.network}:{message.author or 'unknown'}"[:100]
    conn.execute(insert(ticket_events), [
        {"ticket_id": ticket_id, "kind": "created", "at": created, "actor": actor,
         "to_department_id": department_id, "note": message.url},
        {"ticket_id": ticket_id, "kind": "assigned", "at": created, "actor": "intake",
         "to_department_id": department_id, "note": None},
    ])
    return ticket_id, external_id, department_id


def decide(conn: Connection, message: Message, rules: Rules, ref: Reference,
           now: datetime) -> Outcome:
    """Decide one message and write what follows from it."""
    earlier = _earlier(conn, message, ref)
    if earlier is not None:
        return earlier
    channel = channel_id(conn, message.network, "social")
    verdict: Verdict = classify(message.text, rules)
    line = message.line
    if not verdict.complaint:
        _report(conn, message, channel, "ignored", verdict.reason, None, None, None, now)
        return Outcome(line, "ignored", reason=verdict.reason)
    category = verdict.category
    category_id = ref.categories[category][0]
    where = locate(message, ref)
    if verdict.obscene:
        reason = "obscene language"
        _report(conn, message, channel, "rejected", reason, category_id, None, where, now)
        return Outcome(line, "rejected", category=category, reason=reason)
    duplicate = find_duplicate(conn, category_id, message.posted_at, where, rules.thresholds)
    if duplicate is not None:
        ticket_id, external_id, department_id, why = duplicate
        _report(conn, message, channel, "duplicate", why, category_id, ticket_id, where, now)
        conn.execute(insert(ticket_events).values(
            ticket_id=ticket_id, kind="note", at=message.posted_at,
            actor=f"{message.network}:{message.author or 'unknown'}"[:100],
            to_department_id=department_id,  # every event names the ticket's department
            note=f"reported again: {message.url or message.text[:200]}",
        ))
        return Outcome(line, "duplicate", external_id, category,
                       ref.department_codes.get(department_id), why)
    ticket_id, external_id, department_id = _create_ticket(
        conn, message, category, ref, where, channel, now)
    _report(conn, message, channel, "ticket", verdict.reason, category_id, ticket_id, where, now)
    return Outcome(line, "ticket", external_id, category,
                   ref.department_codes.get(department_id), verdict.reason)


def note_edit(conn: Connection, message: Message, now: datetime) -> bool:
    """An edited message keeps the decision its first version got; when that made or joined a
    ticket and the text changed, the new text is noted on the ticket. False: nothing to note."""
    row = conn.execute(select(ticket_reports.c.ticket_id, ticket_reports.c.text)
                       .where(ticket_reports.c.message_key == message.key)).first()
    if row is None or row.ticket_id is None or row.text == message.text:
        return False
    conn.execute(insert(ticket_events).values(
        ticket_id=row.ticket_id, kind="note", at=now,
        actor=f"{message.network}:{message.author or 'unknown'}"[:100],
        to_department_id=select(tickets.c.department_id)
        .where(tickets.c.id == row.ticket_id).scalar_subquery(),
        note=f"post edited: {message.text}",
    ))
    return True


def intake(engine: Engine, lines: Iterable[str], rules: Rules | None = None,
           now: datetime | None = None, progress: bool = False,
           total: int | None = None) -> list[Outcome]:
    """Decide every line (1-based), each message in its own transaction, in order."""
    rules = rules or load_rules()
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    tz = city_tz()
    with engine.connect() as conn:
        ref = read_reference(conn, rules)
    outcomes = []
    bar = tqdm(lines, total=total, unit="messages", desc="intake", disable=not progress,
               file=sys.stderr)
    for number, raw in enumerate(bar, start=1):
        parsed = parse_line(number, raw, tz, now)
        if isinstance(parsed, Broken):
            outcomes.append(Outcome(number, "broken", reason=parsed.reason))
            continue
        try:
            outcomes.append(retrying(partial(_decided, engine, parsed, rules, ref, now)))
        except (DataError, IntegrityError) as error:  # this message only; the next goes on
            reason = (str(error.orig).strip().splitlines() or ["refused"])[0]
            outcomes.append(Outcome(number, "broken", reason=f"not stored: {reason}"))
        except Contention as busy:
            outcomes.append(Outcome(number, "broken", reason=f"not stored: {busy}"))
    return outcomes


def _decided(engine: Engine, message: Message, rules: Rules, ref: Reference,
             now: datetime) -> Outcome:
    """`decide` in a transaction of its own."""
    with engine.begin() as conn:
        return decide(conn, message, rules, ref, now)
