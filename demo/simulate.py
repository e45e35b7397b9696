"""`python -m db simulate`: the demo city in motion, in real time or faster.

Tickets arrive at the seed's rates by hour, weekday and season; departments accept and resolve
them at their own pace; residents confirm (the ticket is closed) or reopen; a ticket sent to the
wrong service is passed on by a dispatcher. The city's clock is the real one: `speed` multiplies
how often things happen, never moves an instant past now, so a live dashboard sees every change.

`step` is pure: from a snapshot of the open tickets, a random generator and a time window it
decides what happens. `apply` writes that, one transaction per step, each change guarded by the
ticket's version, so a user's concurrent change is never overwritten (the simulator's change to
that ticket is dropped instead). Reassignments go through `desk.actions.reassign`, like a user's.
A step's write that meets a deadlock or a unique violation is retried whole, as every writer's is
(`db.transactions.retrying`); one that collides every try is skipped, and the next step takes its
window.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from math import erfc, log, sqrt
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update
from tqdm import tqdm

from access.permissions import Actor
from db.config import city_tz
from db.districts import CityDistricts
from db.engine import UNREACHABLE
from db.schema import categories, departments, ticket_events, tickets
from db.transactions import Contention, retrying
from demo import city
from demo.seed import (
    HOUR_WEIGHTS,
    NO_COORDINATES_RATE,
    REASSIGN_RATE,
    REOPEN_RATE,
    TICKETS_PER_WEEK,
    WEEKDAY_WEIGHTS,
    Reference,
    _categories_by_month,
    _locations,
    load_reference,
)
from desk import sla
from desk.actions import reassign

PREFIX = "SIM-"  # the seed numbers its tickets 1563-%08d; these never collide with them
ACTOR = Actor(name="simulator", role="dispatcher")
REASON = "wrong service: passed to the category's own"
STEP_SECONDS = 1.0
MAX_GAP = 60  # after an outage, catch up at most this many real seconds
WEEK_SECONDS = 7 * 86400
RESOLVED_WINDOW = timedelta(days=30)  # resolved tickets older than this wait for no answer
ASSIGN_DELAY = 60  # an operator hands a ticket to its service about a minute after receiving it

# Log-normal spreads of each delay (the seed's); medians come from demo.city, except these two.
ACCEPT_SPREAD, RESOLVE_SPREAD, ANSWER_SPREAD, PASS_ON_SPREAD = 0.9, 0.75, 0.8, 0.6
ANSWER_MEDIAN = 5 * 3600  # a resident confirms or reopens about five hours after "done"
PASS_ON_MEDIAN = 3600  # a dispatcher notices a ticket sent to the wrong service


@dataclass(frozen=True)
class City:
    """What the step knows of the reference data, by database id."""

    tz: ZoneInfo
    ref: Reference
    sla_s: dict[int, float]  # category → SLA in seconds (the pace of its work)
    sla: sla.Sla  # the deadline rules in force when the simulation started
    home: dict[int, int]  # category → its own department
    urgent: dict[int, bool]  # category → accepted twice as fast
    accept_s: dict[int, float]  # department → median time to accept, seconds
    pace: dict[int, float]  # department → median time to resolve, as a share of the SLA
    codes: dict[int, str]  # department → code
    own_districts: CityDistricts | None = None  # the city's own outlines, once loaded


@dataclass(frozen=True)
class Ticket:
    """A ticket the simulator may move: open, or resolved and awaiting the resident."""

    id: int
    external_id: str
    version: int
    status: str
    category_id: int
    department_id: int
    created_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    reopen_count: int


@dataclass(frozen=True)
class Clock:
    """The city's time: real time until `origin`, then `speed` times faster. Instants stay real;
    how long a ticket has waited is measured on this clock, so a faster city does not make the
    tickets it found on arrival any older."""

    origin: float  # epoch seconds
    speed: float = 1.0

    def at(self, instant: float) -> float:
        return instant if instant <= self.origin else \
            self.origin + (instant - self.origin) * self.speed


@dataclass(frozen=True)
class World:
    """A snapshot of the city between two steps."""

    city: City
    tickets: tuple[Ticket, ...]
    next_number: int  # of the next SIM- ticket


@dataclass(frozen=True)
class Arrival:
    """A new ticket, as its row (instants included) before it gets an id."""

    row: dict
    assigned_at: datetime


@dataclass(frozen=True)
class Change:
    """One step of a ticket's lifecycle: accepted, resolved, closed or reopened."""

    ticket: Ticket
    kind: str
    at: datetime


@dataclass(frozen=True)
class Move:
    """A misrouted ticket passed on to its category's own department."""

    ticket: Ticket
    to_department: str
    at: datetime


@dataclass(frozen=True)
class Plan:
    arrivals: tuple[Arrival, ...] = ()
    changes: tuple[Change, ...] = ()
    moves: tuple[Move, ...] = ()


@dataclass
class Counts:
    """What the simulator wrote; `skipped`: changes dropped because someone changed it first;
    `outages`, `busy`: steps not written (the database away; other writers colliding every
    try), whose window the next step takes."""

    arrived: int = 0
    accepted: int = 0
    resolved: int = 0
    closed: int = 0
    reopened: int = 0
    reassigned: int = 0
    skipped: int = 0
    outages: int = 0
    busy: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


# ------------------------------------------------------------------------------------------------
# The step: pure, deterministic for a generator's state.


def survival(age: float, median: float, spread: float) -> float:
    """P(a log-normal delay with this median and spread exceeds `age`)."""
    if age <= 0:
        return 1.0
    return 0.5 * erfc((log(age) - log(median)) / (spread * sqrt(2)))


def chance(since: float, start: float, end: float, median: float, spread: float,
           clock: Clock) -> float:
    """P(a delay that started at `since` ends in (start, end], given it has not ended by start).

    Real epoch seconds; the delay runs on the city's clock.
    """
    waited = clock.at(start) - clock.at(since)
    before = survival(waited, median, spread)
    if before <= 0:
        return 1.0
    return 1.0 - survival(clock.at(end) - clock.at(since), median, spread) / before


def arrival_rate(at: datetime, tz: ZoneInfo) -> float:
    """Expected tickets per second at `at`: a week's tickets, shaped by local hour and weekday."""
    local = at.astimezone(tz)
    shape = (HOUR_WEIGHTS[local.hour] / HOUR_WEIGHTS.mean()
             * WEEKDAY_WEIGHTS[local.weekday()] / WEEKDAY_WEIGHTS.mean())
    return TICKETS_PER_WEEK / WEEK_SECONDS * shape


def step(world: World, rng: np.random.Generator, start: datetime, end: datetime,
         clock: Clock) -> Plan:
    """What happens in the city in (start, end]: every instant lies in that window."""
    s, e = start.timestamp(), end.timestamp()
    if e <= s:
        return Plan()
    changes, moves = [], []
    for ticket in world.tickets:
        draw, where = rng.random(), rng.random()
        event = _next_event(world.city, ticket, draw, s, e, clock)
        if event is None:
            continue
        kind, earliest = event
        earliest = max(earliest, ticket.updated_at.timestamp(), s)
        if earliest >= e:
            continue
        at = datetime.fromtimestamp(int(earliest + where * (e - earliest)) + 1, UTC)
        at = min(at, end)
        if kind == "moved":
            home = world.city.home[ticket.category_id]
            moves.append(Move(ticket, world.city.codes[home], at))
        else:
            changes.append(Change(ticket, kind, at))
    arrivals = _arrivals(world, rng, s, e, clock)
    return Plan(tuple(arrivals), tuple(changes), tuple(moves))


def _next_event(c: City, t: Ticket, draw: float, s: float, e: float,
                clock: Clock) -> tuple[str, float] | None:
    """The event that ends the ticket's current wait within (s, e], if `draw` says it does,
    with the earliest instant it may have."""
    created = t.created_at.timestamp()
    home = c.home.get(t.category_id)
    if t.status == "new" and home is not None and t.department_id != home:
        p = chance(created, s, e, PASS_ON_MEDIAN, PASS_ON_SPREAD, clock)
        return ("moved", created + ASSIGN_DELAY) if draw < p else None
    if t.status == "new":
        median = c.accept_s.get(t.department_id, 1800) * (0.5 if c.urgent.get(t.category_id)
                                                          else 1.0)
        since = created + ASSIGN_DELAY
        p = chance(since, s, e, median, ACCEPT_SPREAD, clock)
        return ("accepted", since) if draw < p else None
    if t.status == "in_progress":
        # A first resolution is timed from receipt; a second one from the reopening.
        since = created if not t.reopen_count else t.updated_at.timestamp()
        median = c.sla_s.get(t.category_id, 86400) * c.pace.get(t.department_id, 0.3)
        median *= 0.5 if t.reopen_count else 1.0
        p = chance(since, s, e, median, RESOLVE_SPREAD, clock)
        return ("resolved", max(since, (t.accepted_at or t.created_at).timestamp())) \
            if draw < p else None
    if t.status == "resolved" and t.resolved_at is not None:
        since = t.resolved_at.timestamp()
        p = chance(since, s, e, ANSWER_MEDIAN, ANSWER_SPREAD, clock)
        if draw >= p:
            return None
        # The resident answers; a few are not satisfied (the draw is uniform below p).
        return ("reopened" if draw < p * REOPEN_RATE else "closed", since)
    return None


def _arrivals(world: World, rng: np.random.Generator, s: float, e: float,
              clock: Clock) -> list[Arrival]:
    c = world.city
    middle = datetime.fromtimestamp((s + e) / 2, UTC)
    n = int(rng.poisson(arrival_rate(middle, c.tz) * (clock.at(e) - clock.at(s))))
    if n == 0:
        return []
    created = np.sort(rng.integers(int(s) + 1, int(e) + 1, size=n))
    cat = _categories_by_month(rng, created, c.tz)
    share = np.array([ch.share for ch in city.CHANNELS])
    channel = rng.choice(len(share), size=n, p=share / share.sum())
    lat, lon, district = _locations(rng, n)
    no_point = rng.random(n) < NO_COORDINATES_RATE
    misrouted = rng.random(n) < REASSIGN_RATE
    shift = rng.integers(1, len(city.DEPARTMENTS), size=n)
    house = rng.integers(1, 140, size=n)
    street = rng.integers(0, 1000, size=n)
    low = rng.random(n) < 0.1
    dept_index = {d.code: i for i, d in enumerate(city.DEPARTMENTS)}
    out = []
    for k in range(n):
        home = dept_index[city.CATEGORIES[cat[k]].department]
        dept = (home + int(shift[k])) % len(city.DEPARTMENTS) if misrouted[k] else home
        out.append(_arrival(c, world.next_number + k, int(cat[k]), int(district[k]),
                            int(channel[k]), dept, None if no_point[k] else (lat[k], lon[k]),
                            int(created[k]), int(e), int(house[k]), int(street[k]), low[k]))
    return out


def _arrival(c: City, number: int, cat: int, district: int, channel: int, dept: int,
             point: tuple[float, float] | None, created: int, end: int, house: int, street: int,
             low: bool) -> Arrival:
    """One new ticket (indices into demo.city's tuples), received at `created` (epoch s)."""
    category = city.CATEGORIES[cat]
    category_id = int(c.ref.category_ids[cat])
    place = city.DISTRICTS[district]
    address = f"{place.streets[street % len(place.streets)]}, {house}"
    chan = city.CHANNELS[channel]
    at = datetime.fromtimestamp(created, UTC)
    priority = 1 if category.urgent else 3 if low else 2
    due = c.sla.due(at, category_id, priority)
    row = {
        "external_id": f"{PREFIX}{number:08d}",
        "channel_id": int(c.ref.channel_ids[channel]),
        "category_id": category_id,
        "department_id": int(c.ref.department_ids[dept]),
        "district_id": (int(c.ref.district_ids[district]) if c.own_districts is None
                        else c.own_districts.place(None, *(point or (None, None)))),
        "status": "new",
        "priority": priority,
        "description": f"{category.name_ru}: {address}",
        "address": address,
        "lat": None if point is None else round(float(point[0]), 6),
        "lon": None if point is None else round(float(point[1]), 6),
        "source_url": (f"https://{chan.code}.example/post/sim{number}"
                       if chan.kind == "social" else None),
        "created_at": at,
        "due_at": due.at,
        "due_basis": due.basis,
        "due_hours": due.hours,
        "updated_at": at,
        "version": 2,  # its two events: received, and assigned to a service
    }
    assigned = datetime.fromtimestamp(min(created + ASSIGN_DELAY, end), UTC)
    return Arrival(row, assigned)


# ------------------------------------------------------------------------------------------------
# An incident: many reports of one kind from around one point, within minutes.


@dataclass(frozen=True)
class Burst:
    """`len(at)` reports of one category (index in demo.city) from around (lat, lon) in a district,
    received at the instants `at` (epoch s, ascending)."""

    category: int
    district: int
    lat: float
    lon: float
    at: tuple[float, ...]


def find_code(text: str, items: tuple, what: str) -> int:
    """The index of the item named by `text`: its code, its English or Russian name, or (case
    and spaces aside) a code or name holding all its words; a one-line error otherwise."""
    wanted = text.strip().casefold()
    for i, item in enumerate(items):
        if wanted in (item.code, item.code.replace("_", " "), item.name.casefold(),
                      item.name_ru.casefold()):
            return i
    words = wanted.replace("_", " ").split()
    close = [i for i, item in enumerate(items)
             if words and all(w in f"{item.code.replace('_', ' ')} {item.name} {item.name_ru}"
                              .casefold().split() for w in words)]
    if len(close) == 1:
        return close[0]
    known = ", ".join(item.code for item in items)
    raise ValueError(f"no single {what} called {text!r}" + (
        f" (it could be {', '.join(items[i].code for i in close)})" if close else
        f"; known: {known}"))


def plan_burst(category: str, district: str, reports: int, minutes: float, start: float,
               clock: Clock, rng: np.random.Generator) -> Burst:
    """A burst beginning at `start` (epoch s) and lasting `minutes` on the city's clock, from a
    point near the district's centre."""
    cat = find_code(category, city.CATEGORIES, "category")
    where = find_code(district, city.DISTRICTS, "district")
    place = city.DISTRICTS[where]
    real = minutes * 60 / clock.speed
    at = tuple(sorted(start + rng.uniform(0, real, reports)))
    return Burst(cat, where, place.lat + rng.normal(0, 0.003), place.lon + rng.normal(0, 0.004),
                 at)


def burst_arrivals(world: World, burst: Burst, rng: np.random.Generator, s: float, e: float,
                   first_number: int) -> list[Arrival]:
    """The burst's reports received in (s, e], scattered ~150 m round its point."""
    due = [t for t in burst.at if s < t <= e]
    home = [d.code for d in city.DEPARTMENTS].index(city.CATEGORIES[burst.category].department)
    share = np.array([ch.share for ch in city.CHANNELS])
    return [_arrival(world.city, first_number + k, burst.category, burst.district,
                     int(rng.choice(len(share), p=share / share.sum())), home,
                     (burst.lat + rng.normal(0, 0.0012), burst.lon + rng.normal(0, 0.0017)),
                     max(int(t), int(s) + 1), int(e), int(rng.integers(1, 140)),
                     int(rng.integers(0, 1000)), False)
            for k, t in enumerate(due)]


# ------------------------------------------------------------------------------------------------
# Reading the city and writing a plan.


def load_city(conn: Connection, tz: ZoneInfo) -> City:
    """The demo city's reference (created when missing) and each row's pace, by id."""
    ref = load_reference(conn)
    dept_rows = conn.execute(select(departments.c.id, departments.c.code)).all()
    by_code = {d.code: d for d in city.DEPARTMENTS}
    urgent = {c.code: c.urgent for c in city.CATEGORIES}
    cat_rows = conn.execute(select(categories.c.id, categories.c.code, categories.c.sla_hours,
                                   categories.c.department_id)).all()
    return City(
        tz=tz, ref=ref,
        sla_s={r.id: float(r.sla_hours) * 3600 for r in cat_rows},
        sla=sla.load(conn, tz),
        home={r.id: r.department_id for r in cat_rows},
        urgent={r.id: urgent.get(r.code, False) for r in cat_rows},
        accept_s={r.id: by_code[r.code].accept_min * 60 for r in dept_rows if r.code in by_code},
        pace={r.id: by_code[r.code].pace for r in dept_rows if r.code in by_code},
        codes={r.id: r.code for r in dept_rows},
        own_districts=CityDistricts.read(conn),
    )


def read_world(conn: Connection, c: City, now: datetime) -> World:
    """Open tickets, and those resolved lately that await the resident's answer, by id."""
    t = tickets.c
    rows = conn.execute(
        select(t.id, t.external_id, t.version, t.status, t.category_id, t.department_id,
               t.created_at, t.accepted_at, t.resolved_at, t.updated_at, t.reopen_count)
        .where(or_(t.ended_at.is_(None),
                   and_(t.status == "resolved", t.resolved_at > now - RESOLVED_WINDOW)),
               t.created_at <= now)
        .order_by(t.id)
    ).all()
    last = conn.execute(select(func.max(t.external_id))
                        .where(t.external_id.like(f"{PREFIX}%"))).scalar()
    number = int(last.removeprefix(PREFIX)) + 1 if last else 1
    return World(c, tuple(Ticket(**r._mapping) for r in rows), number)


ACTORS = {"accepted": "department", "resolved": "department", "closed": "operator",
          "reopened": "resident"}  # who does each step, as the seed records it


def _values(change: Change) -> dict:
    t, at = change.ticket, change.at
    common = {"version": t.version + 1, "updated_at": at}
    return common | {
        "accepted": {"status": "in_progress", "accepted_at": at},
        "resolved": {"status": "resolved", "resolved_at": at, "ended_at": at},
        "closed": {"status": "closed", "closed_at": at},
        "reopened": {"status": "in_progress", "resolved_at": None, "ended_at": None,
                     "reopen_count": t.reopen_count + 1},
    }[change.kind]


def apply(engine: Engine, plan: Plan) -> Counts:
    """Write the plan: arrivals and lifecycle changes in one transaction (retried whole after a
    deadlock), then each move through `reassign`. A ticket whose version moved since the
    snapshot keeps the other writer's change."""
    return _pass_on(engine, plan, retrying(lambda: _write(engine, plan)))


def _write(engine: Engine, plan: Plan) -> Counts:
    """The plan's arrivals and lifecycle changes, in one transaction: what was written."""
    counts = Counts()
    with engine.begin() as conn:
        for arrival in plan.arrivals:
            ticket_id = conn.execute(insert(tickets).values(**arrival.row)
                                     .returning(tickets.c.id)).scalar_one()
            # One executemany takes its columns from the first row: both rows name every one
            # (else the second's department was dropped), and each names the department.
            department = arrival.row["department_id"]
            conn.execute(insert(ticket_events), [
                {"ticket_id": ticket_id, "kind": "created", "at": arrival.row["created_at"],
                 "actor": "operator", "to_department_id": department},
                {"ticket_id": ticket_id, "kind": "assigned", "at": arrival.assigned_at,
                 "actor": "operator", "to_department_id": department},
            ])
            counts.arrived += 1
        events = []
        for change in plan.changes:
            t = change.ticket
            written = conn.execute(
                update(tickets).where(tickets.c.id == t.id, tickets.c.version == t.version)
                .values(**_values(change))
            ).rowcount
            if written != 1:
                counts.skipped += 1
                continue
            events.append({"ticket_id": t.id, "kind": change.kind, "at": change.at,
                           "actor": ACTORS[change.kind], "to_department_id": t.department_id})
            setattr(counts, change.kind, getattr(counts, change.kind) + 1)
        if events:
            conn.execute(insert(ticket_events), events)
    return counts


def _pass_on(engine: Engine, plan: Plan, counts: Counts) -> Counts:
    """The plan's moves, each through `reassign` (which retries its own transaction)."""
    for move in plan.moves:
        t = move.ticket
        result = reassign(engine, [t.external_id], move.to_department, REASON, ACTOR,
                          seen_versions={t.external_id: t.version}, now=move.at)
        if result.ok:
            counts.reassigned += 1
        else:
            counts.skipped += 1
    return counts


def tick(engine: Engine, c: City, rng: np.random.Generator, start: datetime, end: datetime,
         clock: Clock, burst: Burst | None = None) -> Counts:
    """One step: read the city as of `end`, decide what happened in (start, end], write it;
    with the burst's reports that fall in the window. A write that meets a deadlock or a unique
    violation (another simulator numbered the same new tickets) is retried whole, from a fresh
    read of the city."""
    def planned_and_written() -> tuple[Plan, Counts]:
        with engine.connect() as conn:
            world = read_world(conn, c, end)
        plan = step(world, rng, start, end, clock)
        if burst is not None:
            extra = burst_arrivals(world, burst, rng, start.timestamp(), end.timestamp(),
                                   world.next_number + len(plan.arrivals))
            plan = replace(plan, arrivals=plan.arrivals + tuple(extra))
        return plan, _write(engine, plan)

    plan, counts = retrying(planned_and_written)
    return _pass_on(engine, plan, counts)


# ------------------------------------------------------------------------------------------------
# The loop.


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def run(engine: Engine, speed: float = 1.0, duration: float | None = None,
        seed: int | None = None, progress: bool = True, every: float = STEP_SECONDS,
        incident: tuple[str, str, int, float] | None = None) -> Counts:
    """Step the city every `every` real seconds for `duration` seconds (None: until
    interrupted). An unreachable database pauses it, and other writers colliding every try skip
    a step; it carries on with the next. `incident` (category, district, reports, city minutes)
    plays a burst from the start."""
    rng = np.random.default_rng(seed)
    with engine.begin() as conn:
        c = load_city(conn, city_tz())
    total = Counts()
    began, last = time.monotonic(), _now()
    clock = Clock(last.timestamp(), speed)
    burst = None if incident is None else plan_burst(*incident, last.timestamp(), clock, rng)
    bar = tqdm(total=duration, unit="s", desc=f"simulating ×{speed:g}", disable=not progress,
               file=sys.stderr, bar_format="{desc} {elapsed}{postfix}" if duration is None
               else None)
    try:
        while duration is None or time.monotonic() - began < duration:
            time.sleep(every)
            now = _now()
            start = max(last, now - timedelta(seconds=MAX_GAP))
            try:
                total += tick(engine, c, rng, start, now, clock, burst)
                last = now
            except UNREACHABLE:
                total.outages += 1
                engine.dispose()
            except Contention:
                total.busy += 1
            bar.set_postfix(postfix(total), refresh=False)
            elapsed = time.monotonic() - began
            bar.update(min(elapsed, duration or elapsed) - bar.n)
    except KeyboardInterrupt:
        pass
    finally:
        bar.close()
    return total


def postfix(counts: Counts) -> dict[str, int]:
    """The counts worth showing: those that happened, and arrivals always."""
    return {f.name: getattr(counts, f.name) for f in fields(counts)
            if getattr(counts, f.name) or f.name == "arrived"}
