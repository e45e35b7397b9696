"""Incidents: many open reports of one kind from one place within hours, seen as one event.

One burst water main brings thirty "no water" tickets; a dispatcher should see one incident.
Two open reports of one category are neighbours when they lie within the rule's metres and
hours of each other. A report with at least `min_reports - 1` neighbours is dense, and an
incident is the dense reports linked through each other (single linkage among them) with their
neighbours. Linking only through dense reports is what keeps a trickle over days from chaining
into one: a report every couple of hours never has enough neighbours to be dense.

The database gives a bounded read (open tickets created in the lookback window, through the
`created_at` index); the grouping runs here, with a grid of cells one rule-distance wide, so
each report is compared only with those in the nine cells around it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, select

from db.schema import categories, districts, tickets
from queries.filters import Filters, at, is_open
from queries.frames import frame_of
from queries.rules import IncidentRule, Rules, load_rules

T = tickets.c
EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class Incident:
    """One incident: its category and district (code and names), first and last report, centre,
    and its tickets (external ids, oldest first)."""

    category: str
    category_name: str
    category_name_ru: str | None
    district: str | None
    district_name: str | None
    district_name_ru: str | None
    first: datetime
    last: datetime
    lat: float
    long: float
    tickets: tuple[str, ...]
    received: tuple[datetime, ...]  # each ticket's creation, in the same order

    @property
    def size(self) -> int:
        return len(self.tickets)

    def as_dict(self) -> dict:
        out = asdict(self)
        del out["received"]
        out["tickets"] = list(self.tickets)
        out["first"], out["last"] = self.first.isoformat(), self.last.isoformat()
        out["reports"] = self.size
        return out


def recent_open(conn: Connection, f: Filters, lookback_hours: float) -> pd.DataFrame:
    """Open tickets with a place, created in the lookback window before as_of."""
    since = f.as_of - timedelta(hours=lookback_hours)
    query = (
        select(T.external_id, T.created_at, T.lat, T.lon,
               categories.c.code.label("category"), categories.c.name.label("category_name"),
               categories.c.name_ru.label("category_name_ru"),
               districts.c.code.label("district"), districts.c.name.label("district_name"),
               districts.c.name_ru.label("district_name_ru"))
        .join(categories, categories.c.id == T.category_id)
        .outerjoin(districts, districts.c.id == T.district_id)
        .where(T.created_at > at(since), is_open(f), T.lat.is_not(None), T.lon.is_not(None))
        .order_by(T.created_at, T.id)
    )
    return frame_of(conn, query)


def clusters(xs: list[float], ys: list[float], ts: list[float],
             rule: IncidentRule) -> list[list[int]]:
    """Groups of indices (positions in metres, instants in seconds) that make incidents.

    Dense points (with `min_reports - 1` neighbours) are linked to their dense neighbours; each
    other neighbour joins the group of the first dense point that reaches it."""
    d2, window = rule.metres ** 2, rule.hours * 3600
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)
    size = rule.metres
    cells = [(math.floor(x / size), math.floor(y / size)) for x, y in zip(xs, ys, strict=True)]
    for i, cell in enumerate(cells):
        grid[cell].append(i)
    neighbours = []
    for i, (cx, cy) in enumerate(cells):
        near = [j for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                for j in grid.get((cx + dx, cy + dy), ()) if j != i and abs(ts[j] - ts[i]) <= window
                and (xs[j] - xs[i]) ** 2 + (ys[j] - ys[i]) ** 2 <= d2]
        neighbours.append(near)
    dense = [len(near) >= rule.min_reports - 1 for near in neighbours]
    group = [-1] * len(xs)
    out: list[list[int]] = []
    for start in range(len(xs)):
        if not dense[start] or group[start] >= 0:
            continue
        members, stack = [start], [start]
        group[start] = len(out)
        while stack:
            for j in neighbours[stack.pop()]:
                if group[j] < 0:
                    group[j] = len(out)
                    members.append(j)
                    if dense[j]:
                        stack.append(j)
        out.append(sorted(members))
    return [members for members in out if len(members) >= rule.min_reports]


def _metres(lat: pd.Series, lon: pd.Series) -> tuple[list[float], list[float]]:
    """Positions in metres on a plane tangent at the points' middle latitude: exact enough over
    a city, where a degree east shrinks with the latitude's cosine."""
    middle = math.radians(float(lat.mean()))
    per_degree = math.pi / 180 * EARTH_M
    return ((lon * per_degree * math.cos(middle)).tolist(), (lat * per_degree).tolist())


def group_incidents(rows: pd.DataFrame, rules: Rules) -> list[Incident]:
    """The incidents among `rows` (as `recent_open` reads them), biggest first, then latest."""
    found = []
    for code, part in rows.groupby("category", sort=True):
        part = part.reset_index(drop=True)
        rule = rules.for_category(str(code))
        if len(part) < rule.min_reports:
            continue
        xs, ys = _metres(part["lat"], part["lon"])
        ts = [v.timestamp() for v in part["created_at"]]
        for members in clusters(xs, ys, ts, rule):
            found.append(_incident(part.iloc[members]))
    return sorted(found, key=lambda i: (-i.size, -i.last.timestamp(), i.category))


def _incident(part: pd.DataFrame) -> Incident:
    first = part.iloc[0]
    places = Counter(part["district"].dropna())
    district = min(places, key=lambda d: (-places[d], d)) if places else None
    names = part[part["district"] == district].iloc[0] if district else None
    return Incident(
        category=first["category"], category_name=first["category_name"],
        category_name_ru=first["category_name_ru"], district=district,
        district_name=None if names is None else names["district_name"],
        district_name_ru=None if names is None else names["district_name_ru"],
        first=part["created_at"].min().to_pydatetime(),
        last=part["created_at"].max().to_pydatetime(),
        lat=round(float(part["lat"].mean()), 6), long=round(float(part["lon"].mean()), 6),
        tickets=tuple(part["external_id"]),
        received=tuple(v.to_pydatetime() for v in part["created_at"]),
    )


def incidents(conn: Connection, f: Filters, rules: Rules | None = None) -> list[Incident]:
    """The open incidents as of `f.as_of`, biggest first (the rules file's unless given)."""
    rules = rules or load_rules()
    return group_incidents(recent_open(conn, f, rules.lookback_hours), rules)
