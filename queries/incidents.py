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
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, select

from db.schema import categories, districts, tickets
from queries.filters import Filters, at, is_open
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


def recent_open(conn: Connection, f: Filters, lookback_hours: float) -> list[Row]:
    """Open tickets with a place, created in the lookback window before as_of, oldest first."""
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
    return list(conn.execute(query))


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


def group_incidents(rows: Sequence[Row], rules: Rules) -> list[Incident]:
    """The incidents among `rows` (as `recent_open` reads them), biggest first, then latest.

    Positions in metres on a plane tangent at the rows' middle latitude: exact enough over a
    city, where a degree east shrinks with the latitude's cosine."""
    if not rows:
        return []
    per_degree = math.pi / 180 * EARTH_M
    squeeze = math.cos(math.radians(sum(r.lat for r in rows) / len(rows)))
    by_category: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_category[r.category].append(r)
    found = []
    for code, part in sorted(by_category.items()):
        rule = rules.for_category(code)
        if len(part) < rule.min_reports:
            continue
        xs = [r.lon * per_degree * squeeze for r in part]
        ys = [r.lat * per_degree for r in part]
        ts = [r.created_at.timestamp() for r in part]
        found += [_incident([part[i] for i in members])
                  for members in clusters(xs, ys, ts, rule)]
    return sorted(found, key=lambda i: (-i.size, -i.last.timestamp(), i.category))


def _incident(part: list[Row]) -> Incident:
    """One incident from its reports, oldest first."""
    places = Counter(r.district for r in part if r.district is not None)
    district = min(places, key=lambda d: (-places[d], d)) if places else None
    named = next((r for r in part if r.district == district), None) if district else None
    return Incident(
        category=part[0].category, category_name=part[0].category_name,
        category_name_ru=part[0].category_name_ru, district=district,
        district_name=named.district_name if named else None,
        district_name_ru=named.district_name_ru if named else None,
        first=part[0].created_at, last=part[-1].created_at,
        lat=round(sum(r.lat for r in part) / len(part), 6),
        long=round(sum(r.lon for r in part) / len(part), 6),
        tickets=tuple(r.external_id for r in part),
        received=tuple(r.created_at for r in part),
    )


def incidents(conn: Connection, f: Filters, rules: Rules | None = None) -> list[Incident]:
    """The open incidents as of `f.as_of`, biggest first (the rules file's unless given)."""
    rules = rules or load_rules()
    return group_incidents(recent_open(conn, f, rules.lookback_hours), rules)
