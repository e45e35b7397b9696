"""The demo city: a year of believable history and a live present, deterministic for a seed.

Tickets arrive by the hour of day, the weekday and the season; departments accept and resolve them
at their own pace (log-normal times), a few breach their SLA, some are reopened, reassigned or
rejected for obscene language; points cluster in hot spots. Everything after `now` is cut off, so
the present holds new, in-progress, at-risk and overdue tickets.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, text
from tqdm import tqdm

from access import kiosk, users
from db.bulk import bulk_insert, reset_sequences
from db.config import ROOT, city_tz
from db.schema import (
    categories,
    channels,
    departments,
    district_map,
    districts,
    metadata,
    sla_calendar,
    ticket_events,
    tickets,
)
from db.types import to_epoch
from demo import city
from demo.geo import voronoi_outlines
from desk import sla

TICKETS_PER_WEEK = 2000
HISTORY_DAYS = 365
CHUNK = 100_000
DEMO_SLA = ROOT / "db" / "data" / "sla_demo.toml"

# Share of the day's tickets by local hour (dispatch 1563: quiet nights, a late-morning peak).
HOUR_WEIGHTS = np.array([
    0.8, 0.5, 0.35, 0.3, 0.3, 0.5, 1.2, 2.8, 4.6, 6.0, 6.6, 6.5,
    6.0, 5.8, 5.9, 5.8, 5.5, 5.2, 4.8, 4.3, 3.6, 2.8, 1.9, 1.2,
])
WEEKDAY_WEIGHTS = np.array([1.18, 1.08, 1.04, 1.02, 0.98, 0.82, 0.72])  # Monday first

SEASONS = {  # category weight multiplier by month, January first
    "flat": [1] * 12,
    "heating": [1.5, 1.3, 1.0, 0.6, 0.2, 0.2, 0.2, 0.2, 0.6, 3.0, 2.5, 1.8],
    "winter": [3.0, 2.6, 1.4, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.6, 1.4, 2.8],
    "spring": [0.8, 1.2, 2.4, 2.6, 1.8, 0.9, 0.7, 0.7, 0.8, 1.0, 1.0, 0.9],
    "summer": [0.4, 0.4, 0.6, 0.9, 1.6, 2.4, 2.8, 2.6, 1.6, 0.8, 0.5, 0.4],
}

REJECT_RATE = {"phone": 0.003, "portal": 0.012, "social": 0.05, "email": 0.01, "other": 0.01}
REOPEN_RATE = 0.03
REASSIGN_RATE = 0.03
NO_COORDINATES_RATE = 0.02
REASSIGN_NOTE = "Не та служба: передано по профилю"  # the dispatcher's usual reason
SEED_ACTOR = "seed"  # the actor of the demo history's desk actions: no user can be called so
EVENT_ORDER = {kind: rank for rank, kind in enumerate((
    "created", "assigned", "reassigned", "accepted", "rejected", "resolved", "reopened", "closed"))}


@dataclass(frozen=True)
class Reference:
    """Ids of the reference rows, in the order of demo.city's tuples."""

    department_ids: np.ndarray
    category_ids: np.ndarray
    district_ids: np.ndarray
    channel_ids: np.ndarray


def load_reference(conn: Connection) -> Reference:
    """Insert the demo city's departments, categories, districts and channels (missing ones)."""

    def ensure(table, rows: list[dict]) -> np.ndarray:
        have = dict(conn.execute(select(table.c.code, table.c.id)).all())
        missing = [r for r in rows if r["code"] not in have]
        if missing:
            conn.execute(insert(table), missing)
            have = dict(conn.execute(select(table.c.code, table.c.id)).all())
        return np.array([have[r["code"]] for r in rows])

    dept_ids = ensure(departments, [
        {"code": d.code, "name": d.name, "name_ru": d.name_ru} for d in city.DEPARTMENTS
    ])
    dept_by_code = dict(zip([d.code for d in city.DEPARTMENTS], dept_ids.tolist(), strict=True))
    outlines = voronoi_outlines([(d.lat, d.lon) for d in city.DISTRICTS], city.LAND)
    return Reference(
        department_ids=dept_ids,
        category_ids=ensure(categories, [
            {"code": c.code, "name": c.name, "name_ru": c.name_ru,
             "department_id": dept_by_code[c.department], "sla_hours": c.sla_hours}
            for c in city.CATEGORIES
        ]),
        # A city that loaded its own districts (db/districts.py) keeps them alone: no demo ones.
        district_ids=np.zeros(len(city.DISTRICTS), dtype=np.int64)
        if conn.execute(select(district_map.c.id)).first() else ensure(districts, [
            {"code": d.code, "name": d.name, "name_ru": d.name_ru, "lat": d.lat, "lon": d.lon,
             "outline": outline}
            for d, outline in zip(city.DISTRICTS, outlines, strict=True)
        ]),
        channel_ids=ensure(channels, [
            {"code": c.code, "name": c.name, "name_ru": c.name_ru, "kind": c.kind}
            for c in city.CHANNELS
        ]),
    )


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(len(median)))


def _creation_instants(rng: np.random.Generator, n: int, now: int, tz: ZoneInfo,
                       days: int) -> np.ndarray:
    """n creation instants (epoch s) over `days` before `now`, by local hour and weekday."""
    hours = days * 24
    starts = now - 3600 * np.arange(hours, 0, -1)
    local = pd.to_datetime(starts, unit="s", utc=True).tz_convert(tz)
    weights = HOUR_WEIGHTS[local.hour] * WEEKDAY_WEIGHTS[local.weekday]
    picked = rng.choice(hours, size=n, p=weights / weights.sum())
    created = starts[picked] + rng.integers(0, 3600, size=n)
    return np.minimum(created, now)


def _categories_by_month(rng: np.random.Generator, created: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    months = pd.to_datetime(created, unit="s", utc=True).tz_convert(tz).month.to_numpy() - 1
    base = np.array([c.weight for c in city.CATEGORIES])
    out = np.empty(len(created), dtype=np.int64)
    for month in range(12):
        mask = months == month
        weights = base * np.array([SEASONS[c.season][month] for c in city.CATEGORIES])
        out[mask] = rng.choice(len(base), size=int(mask.sum()), p=weights / weights.sum())
    return out


def _locations(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, district index): hot spots and spread around district centres."""
    d_weights = np.array([d.weight for d in city.DISTRICTS])
    district = rng.choice(len(d_weights), size=n, p=d_weights / d_weights.sum())
    centres = np.array([(d.lat, d.lon) for d in city.DISTRICTS])
    lat = centres[district, 0] + rng.normal(0, 0.007, n)
    lon = centres[district, 1] + rng.normal(0, 0.010, n)
    spots = np.array(city.HOT_SPOTS)
    spot_total = spots[:, 2].sum()
    in_spot = rng.random(n) < spot_total
    which = rng.choice(len(spots), size=n, p=spots[:, 2] / spot_total)
    lat = np.where(in_spot, spots[which, 0] + rng.normal(0, 0.0012, n), lat)
    lon = np.where(in_spot, spots[which, 1] + rng.normal(0, 0.0016, n), lon)
    # A point belongs to the district whose centre is nearest (so it lies in its outline).
    scale = np.cos(np.radians(city.CITY_CENTER[0]))
    d2 = (lat[:, None] - centres[None, :, 0]) ** 2 \
        + ((lon[:, None] - centres[None, :, 1]) * scale) ** 2
    return lat, lon, d2.argmin(axis=1)


# Deadlines of tickets by (created epoch s, position in demo.city.CATEGORIES, priority): (due epoch
# s, whether counted in working hours, the rule's hours).
Deadlines = Callable[[np.ndarray, np.ndarray, np.ndarray],
                     tuple[np.ndarray, np.ndarray, np.ndarray]]


def calendar_deadlines(created: np.ndarray, cat: np.ndarray,
                       priority: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each category's own calendar hours (demo.city), whatever the priority."""
    hours = np.array([c.sla_hours for c in city.CATEGORIES])[cat]
    return created + np.round(hours * 3600).astype(np.int64), np.zeros(len(cat), bool), hours


def rule_deadlines(rules: sla.Sla, ref: Reference) -> Deadlines:
    """Deadlines by the stored SLA rules, many at a time (see sla.WorkingClock)."""

    def deadlines(created: np.ndarray, cat: np.ndarray,
                  priority: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ids = ref.category_ids[cat]
        hours, working = rules.rule_arrays(ids, priority)
        return rules.due_epochs(created, ids, priority), working, hours

    return deadlines


def _masked(values: np.ndarray, now: int) -> np.ndarray:
    """Instants after `now` have not happened yet: NaN."""
    return np.where(values <= now, values, np.nan)


@dataclass(frozen=True)
class CityArrays:
    """demo.city's departments, categories and channels as arrays by position in its tuples."""

    cat_dept: np.ndarray  # each category's department
    cat_urgent: np.ndarray
    accept_median: np.ndarray  # each department's median seconds to accept
    pace: np.ndarray  # each department's share of the deadline it takes to resolve
    channel_kind: list[str]
    channel_share: np.ndarray
    reject_p: np.ndarray  # each channel's share of obscene, rejected tickets
    streets: list[tuple[str, ...]]  # each district's streets

    @classmethod
    def of_city(cls) -> CityArrays:
        depts = city.DEPARTMENTS
        dept_index = {d.code: i for i, d in enumerate(depts)}
        channel_kind = [c.kind for c in city.CHANNELS]
        return cls(
            cat_dept=np.array([dept_index[c.department] for c in city.CATEGORIES]),
            cat_urgent=np.array([c.urgent for c in city.CATEGORIES]),
            accept_median=np.array([d.accept_min * 60 for d in depts]),
            pace=np.array([d.pace for d in depts]),
            channel_kind=channel_kind,
            channel_share=np.array([c.share for c in city.CHANNELS]),
            reject_p=np.array([REJECT_RATE[k] for k in channel_kind]),
            streets=[d.streets for d in city.DISTRICTS],
        )


@dataclass(frozen=True)
class Arrivals:
    """What a chunk's tickets are when they arrive: one array each, a row per ticket."""

    ids: np.ndarray
    created: np.ndarray  # epoch s
    cat: np.ndarray  # position in demo.city.CATEGORIES
    dept: np.ndarray  # the right department's position in demo.city.DEPARTMENTS
    priority: np.ndarray
    due: np.ndarray
    working: np.ndarray  # whether the deadline counts working hours
    rule_hours: np.ndarray
    channel: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    district: np.ndarray


@dataclass(frozen=True)
class Lifecycle:
    """Every instant a chunk's tickets would reach, before the present cuts them off (epoch s)."""

    rejected: np.ndarray  # bool: rejected for obscene language
    rejected_at: np.ndarray
    reassigned: np.ndarray  # bool: first sent to the `wrong` department
    wrong: np.ndarray
    reassign_at: np.ndarray
    reassign_done: np.ndarray  # bool: reassigned by now
    accepted: np.ndarray
    resolved1: np.ndarray  # the first resolution
    reopens: np.ndarray  # bool: reopened once resolved
    reopen_at: np.ndarray
    resolved2: np.ndarray  # the resolution after a reopening
    closed: np.ndarray

    def current_dept(self, dept: np.ndarray) -> np.ndarray:
        """Where each ticket is now: the wrong department until its reassignment happens."""
        return np.where(self.reassigned & ~self.reassign_done, self.wrong, dept)


@dataclass(frozen=True)
class Present:
    """A chunk's tickets as of now: instants after it are NaN, and the status they give."""

    accepted: np.ndarray
    resolved: np.ndarray
    closed: np.ndarray
    rejected: np.ndarray
    ended: np.ndarray
    status: np.ndarray
    reopened_now: np.ndarray  # bool: the reopening has happened
    reopen_count: np.ndarray
    updated: np.ndarray


def generate(n: int, seed: int, now: datetime, tz: ZoneInfo, first_id: int = 1,
             days: int = HISTORY_DAYS, deadlines: Deadlines = calendar_deadlines,
             ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Yield (tickets, events) frames of at most CHUNK tickets each; ids start at `first_id`.
    Departments work at a pace set by each ticket's time to its deadline. Each chunk draws from
    its own generator, in a fixed order, so a seed gives the same rows every time."""
    now_s = to_epoch(now)
    arrays = CityArrays.of_city()
    for chunk_no, start in enumerate(range(0, n, CHUNK)):
        m = min(CHUNK, n - start)
        rng = np.random.default_rng([seed, chunk_no])
        ids = np.arange(first_id + start, first_id + start + m)
        arrivals = _arrivals(rng, ids, now_s, tz, days, deadlines, arrays)
        life = _lifecycle(rng, arrivals, now_s, arrays)
        present = _present(arrivals, life, now_s)
        address = _addresses(rng, arrivals.district, arrays.streets)
        frame = _tickets_frame(arrivals, life, present, address, arrays)
        events = _events(frame, arrivals.dept, life, present.reopened_now, now_s)
        frame["version"] = events.groupby("ticket_id").size().reindex(frame["id"]).to_numpy()
        for name in ("accepted_at", "resolved_at", "closed_at", "rejected_at", "ended_at",
                     "updated_at"):
            frame[name] = frame[name].astype("Int64")
        yield frame, events


def _arrivals(rng: np.random.Generator, ids: np.ndarray, now_s: int, tz: ZoneInfo, days: int,
              deadlines: Deadlines, arrays: CityArrays) -> Arrivals:
    """When, what, where and by which channel each ticket arrives, and its deadline."""
    m = len(ids)
    created = _creation_instants(rng, m, now_s, tz, days)
    cat = _categories_by_month(rng, created, tz)
    priority = np.where(arrays.cat_urgent[cat], 1, np.where(rng.random(m) < 0.1, 3, 2))
    due, working, rule_hours = deadlines(created, cat, priority)
    share = arrays.channel_share
    channel = rng.choice(len(share), size=m, p=share / share.sum())
    lat, lon, district = _locations(rng, m)
    no_point = rng.random(m) < NO_COORDINATES_RATE
    lat[no_point] = np.nan
    lon[no_point] = np.nan
    return Arrivals(ids=ids, created=created, cat=cat, dept=arrays.cat_dept[cat],
                    priority=priority, due=due, working=working, rule_hours=rule_hours,
                    channel=channel, lat=lat, lon=lon, district=district)


def _lifecycle(rng: np.random.Generator, a: Arrivals, now_s: int,
               arrays: CityArrays) -> Lifecycle:
    """Rejections, reassignments, acceptance, resolution, reopening and closing, drawn in a
    fixed order (the seed's rows depend on it)."""
    m, created, dept, n_depts = len(a.ids), a.created, a.dept, len(arrays.pace)
    sla_s = (a.due - created).astype(float)
    rejected = rng.random(m) < arrays.reject_p[a.channel]
    rejected_at = created + np.round(_lognormal(rng, np.full(m, 1200.0), 0.6)).astype(np.int64)

    # A few tickets first go to the wrong service and are passed on by a dispatcher.
    reassigned = (rng.random(m) < REASSIGN_RATE) & ~rejected
    wrong = (dept + rng.integers(1, n_depts, size=m)) % n_depts
    reassign_at = created + rng.integers(15 * 60, 3 * 3600, size=m)

    accept_mult = np.where(arrays.cat_urgent[a.cat], 0.5, 1.0)
    accept_delay = _lognormal(rng, arrays.accept_median[dept] * accept_mult, 0.9)
    accepted = created + 60 + np.round(accept_delay).astype(np.int64)
    accepted = np.where(reassigned, np.maximum(accepted, reassign_at + 300), accepted)
    resolve_delay = _lognormal(rng, sla_s * arrays.pace[dept], 0.75)
    resolved1 = np.maximum(created + np.round(resolve_delay).astype(np.int64), accepted + 120)

    reopens = (rng.random(m) < REOPEN_RATE) & ~rejected
    reopen_at = resolved1 + np.round(_lognormal(rng, np.full(m, 10 * 3600.0), 0.6)).astype(
        np.int64)
    resolved2 = reopen_at + np.round(_lognormal(rng, sla_s * arrays.pace[dept] * 0.5, 0.6)).astype(
        np.int64)
    resolved_final = np.where(reopens, resolved2, resolved1)
    close_delay = np.round(_lognormal(rng, np.full(m, 5 * 3600.0), 0.8)).astype(np.int64)
    return Lifecycle(rejected=rejected, rejected_at=rejected_at, reassigned=reassigned,
                     wrong=wrong, reassign_at=reassign_at,
                     reassign_done=reassigned & (reassign_at <= now_s), accepted=accepted,
                     resolved1=resolved1, reopens=reopens, reopen_at=reopen_at,
                     resolved2=resolved2, closed=resolved_final + close_delay)


def _present(a: Arrivals, life: Lifecycle, now_s: int) -> Present:
    """The present cuts everything off: what is after now has not happened."""
    rejected, reopens = life.rejected, life.reopens
    reopened_now = reopens & (life.reopen_at <= now_s)
    acc_now = np.where(rejected, np.nan, _masked(life.accepted, now_s))
    res_now = np.where(
        rejected, np.nan,
        np.where(reopens & reopened_now, _masked(life.resolved2, now_s),
                 _masked(life.resolved1, now_s)),
    )
    closed_now = np.where(rejected | (reopens & ~reopened_now), np.nan,
                          _masked(life.closed, now_s))
    rej_now = np.where(rejected, _masked(life.rejected_at, now_s), np.nan)
    status = np.select(
        [~np.isnan(rej_now), ~np.isnan(closed_now), ~np.isnan(res_now), ~np.isnan(acc_now)],
        ["rejected", "closed", "resolved", "in_progress"], default="new",
    )
    updated = np.nanmax(np.vstack([a.created, acc_now, res_now, closed_now, rej_now,
                                   np.where(reopened_now, life.reopen_at, np.nan),
                                   np.where(life.reassign_done, life.reassign_at, np.nan)]),
                        axis=0)
    return Present(accepted=acc_now, resolved=res_now, closed=closed_now, rejected=rej_now,
                   ended=np.fmin(np.fmin(res_now, closed_now), rej_now), status=status,
                   reopened_now=reopened_now,
                   reopen_count=(reopens & reopened_now).astype(np.int16), updated=updated)


def _addresses(rng: np.random.Generator, district: np.ndarray,
               streets: list[tuple[str, ...]]) -> list[str]:
    street_idx = rng.integers(0, 1000, size=len(district))
    house = rng.integers(1, 140, size=len(district))
    return [f"{streets[d][s % len(streets[d])]}, {h}"
            for d, s, h in zip(district, street_idx, house, strict=True)]


def _tickets_frame(a: Arrivals, life: Lifecycle, now: Present, address: list[str],
                   arrays: CityArrays) -> pd.DataFrame:
    """The rows of `tickets`, with positions in demo.city's tuples where ids will go."""
    cat_names = np.array([c.name_ru for c in city.CATEGORIES], dtype=object)[a.cat]
    is_social = np.array([arrays.channel_kind[c] == "social" for c in a.channel])
    channel_code = np.array([city.CHANNELS[c].code for c in a.channel], dtype=object)
    return pd.DataFrame({
        "id": a.ids,
        "external_id": [f"1563-{i:08d}" for i in a.ids],
        "channel_id": a.channel,
        "category_id": a.cat,
        "department_id": life.current_dept(a.dept),
        "district_id": a.district,
        "status": now.status,
        "priority": a.priority,
        "description": np.where(life.rejected, cat_names + " (нецензурная лексика)",
                                cat_names + ": " + np.array(address, dtype=object)),
        "address": address,
        "lat": np.round(a.lat, 6),
        "lon": np.round(a.lon, 6),
        "location_approx": False,
        "source_url": np.where(is_social, "https://" + channel_code + ".example/post/"
                               + a.ids.astype(str), None),
        "created_at": a.created,
        "accepted_at": now.accepted,
        "resolved_at": now.resolved,
        "closed_at": now.closed,
        "rejected_at": now.rejected,
        "ended_at": now.ended,
        "due_at": a.due,
        "due_basis": np.where(a.working, "working", "calendar"),
        "due_hours": a.rule_hours,
        "updated_at": now.updated,
        "reopen_count": now.reopen_count,
    })


def _events(t: pd.DataFrame, dept: np.ndarray, life: Lifecycle, reopened_now: np.ndarray,
            now_s: int) -> pd.DataFrame:
    """The timeline of each ticket as rows of ticket_events (ids assigned by the caller)."""
    ids = t["id"].to_numpy()
    created = t["created_at"].to_numpy()
    wrong, reassign_at, resolved1, reopen_at = (life.wrong, life.reassign_at, life.resolved1,
                                                life.reopen_at)
    first_dept = np.where(life.reassigned, wrong, dept)
    parts = [
        pd.DataFrame({"ticket_id": ids, "kind": "created", "at": created, "actor": "operator",
                      "from_department_id": np.nan, "to_department_id": np.nan}),
        pd.DataFrame({"ticket_id": ids, "kind": "assigned", "at": np.minimum(created + 60, now_s),
                      "actor": "operator", "from_department_id": np.nan,
                      "to_department_id": first_dept}),
    ]
    m = life.reassign_done
    parts.append(pd.DataFrame({"ticket_id": ids[m], "kind": "reassigned", "at": reassign_at[m],
                               "actor": SEED_ACTOR, "from_department_id": wrong[m],
                               "to_department_id": dept[m], "note": REASSIGN_NOTE}))
    for kind, column in (("accepted", "accepted_at"), ("rejected", "rejected_at")):
        m = t[column].notna().to_numpy()
        parts.append(pd.DataFrame({"ticket_id": ids[m], "kind": kind,
                                   "at": t[column].to_numpy()[m], "actor": "department",
                                   "from_department_id": np.nan, "to_department_id": np.nan}))
    m = life.reopens & reopened_now
    parts.append(pd.DataFrame({"ticket_id": ids[m], "kind": "resolved", "at": resolved1[m],
                               "actor": "department", "from_department_id": np.nan,
                               "to_department_id": np.nan}))
    parts.append(pd.DataFrame({"ticket_id": ids[m], "kind": "reopened", "at": reopen_at[m],
                               "actor": "resident", "from_department_id": np.nan,
                               "to_department_id": np.nan}))
    for kind, column, actor in (("resolved", "resolved_at", "department"),
                                ("closed", "closed_at", "operator")):
        m = t[column].notna().to_numpy()
        parts.append(pd.DataFrame({"ticket_id": ids[m], "kind": kind,
                                   "at": t[column].to_numpy()[m], "actor": actor,
                                   "from_department_id": np.nan, "to_department_id": np.nan}))
    events = pd.concat(parts, ignore_index=True)
    events["at"] = events["at"].astype(np.int64)
    # Every event names the department the ticket was in then: the first one until the move.
    where = pd.Series(np.arange(len(ids)), index=ids).loc[events["ticket_id"]].to_numpy()
    moved = life.reassign_done[where] & (events["at"].to_numpy() >= reassign_at[where])
    then = np.where(moved, dept[where], first_dept[where])
    events["to_department_id"] = events["to_department_id"].fillna(
        pd.Series(then, index=events.index))
    for name in ("from_department_id", "to_department_id"):
        events[name] = events[name].astype("Int64")
    events["rank"] = events["kind"].map(EVENT_ORDER)
    events = events.sort_values(["ticket_id", "at", "rank"], kind="stable", ignore_index=True)
    return events.drop(columns="rank")


def _to_ids(frame: pd.DataFrame, events: pd.DataFrame, ref: Reference) -> None:
    """Replace positions in demo.city's tuples by the database's ids, in place."""
    frame["channel_id"] = ref.channel_ids[frame["channel_id"].to_numpy()]
    frame["category_id"] = ref.category_ids[frame["category_id"].to_numpy()]
    frame["department_id"] = ref.department_ids[frame["department_id"].to_numpy()]
    frame["district_id"] = ref.district_ids[frame["district_id"].to_numpy()]
    for name in ("from_department_id", "to_department_id"):
        known = events[name].notna()
        mapped = ref.department_ids[events.loc[known, name].astype(np.int64).to_numpy()]
        events[name] = events[name].astype("Int64")
        events.loc[known, name] = mapped


def default_ticket_count(days: int = HISTORY_DAYS) -> int:
    return round(TICKETS_PER_WEEK * days / 7)


def seed(engine: Engine, n: int | None = None, seed_value: int = 1563,
         now: datetime | None = None, tz: ZoneInfo | None = None, progress: bool = True,
         days: int = HISTORY_DAYS) -> int:
    """Fill the database with the demo city; returns how many tickets were written."""
    n = default_ticket_count(days) if n is None else n
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    tz = tz or city_tz()
    with engine.begin() as conn:
        ref = load_reference(conn)
        deadlines = rule_deadlines(sla.load(conn, tz), ref)
        first_id = (conn.execute(select(func.max(tickets.c.id))).scalar() or 0) + 1
        first_event = (conn.execute(select(func.max(ticket_events.c.id))).scalar() or 0) + 1
    bar = tqdm(total=n, unit="tickets", desc="seeding", disable=not progress, file=sys.stderr)
    for frame, events in generate(n, seed_value, now, tz, first_id=first_id, days=days,
                                  deadlines=deadlines):
        _to_ids(frame, events, ref)
        events.insert(0, "id", np.arange(first_event, first_event + len(events)))
        first_event += len(events)
        with engine.begin() as conn:
            bulk_insert(conn, tickets, frame)
            bulk_insert(conn, ticket_events, events)
        bar.update(len(frame))
    bar.close()
    with engine.begin() as conn:
        reset_sequences(conn, tickets, ticket_events)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE tickets"))
            conn.execute(text("ANALYZE ticket_events"))
    return n


def clear(engine: Engine) -> None:
    """Remove every row of every table (the seed's --reset; the product itself never deletes)."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def ticket_count(engine: Engine) -> int:
    """How many tickets the database holds: the seed refuses to mix its city with another."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tickets)).scalar_one()


def load_demo_rules(engine: Engine, now: datetime) -> bool:
    """Store the demo city's SLA rules when none are stored (the city's own stay)."""
    with engine.begin() as conn:
        if conn.execute(select(sla_calendar.c.id)).first() is not None:
            return False
        load_reference(conn)
        parsed = sla.parse(DEMO_SLA.read_text(encoding="utf-8"), sla.category_keys(conn))
        sla.store(conn, parsed, str(DEMO_SLA.relative_to(ROOT)), now.replace(microsecond=0))
    return True


# People, by name: never a role nor a system actor (the seed's own history is written as `seed`,
# and `access.users` refuses such names), so Undo and the audit log never mix them.
DEMO_USERS = (("irina", "leadership", None), ("oleg", "head", "ROADS"),
              ("dina", "dispatcher", None), ("viktor", "viewer", None))


def demo_sign_ins(engine: Engine) -> list[str]:
    """One demo user per role and a kiosk token for the meeting screen, when no user exists yet;
    the lines to print, which are the only place their passwords and token ever appear."""
    with engine.connect() as conn:
        if users.has_users(conn):
            return []
    lines = ["sign in with (shown only now; change with python -m db user set-password NAME):"]
    for name, role, department in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        users.add_user(engine, name, role, password, department)
        lines.append(f"  {name:<11} {role + (f' of {department}' if department else ''):<16} "
                     f"{password}")
    _, token = kiosk.issue(engine, "demo meeting room")
    lines.append(f"meeting screen: {kiosk.link(token)}")
    return lines
