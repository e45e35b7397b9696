"""Spikes: a district's reports of one kind running far above their usual level right now.

For each district × category, the reports in the last `hours` hours are compared with the same
hours of the week in each of the `weeks` weeks before (city-local wall clock, so a week across
a daylight-saving change still lines up). The usual level is robust on both sides:
- a past spike does not raise it: the busiest week is left out of the mean;
- a quiet history does not make every report a spike: the mean is shrunk towards the category's
  city-wide level per district (`prior_weeks` weeks' worth of it), and never goes below `floor`;
  weeks before the first ticket in the database are not history at all, and are left out.
A cell is a spike when it holds at least `min_count` reports and a Poisson count at the usual
level would reach that many less often than `alpha`.

One statement reads the counts of every window (through the `created_at` index), with the names.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, case, func, or_, select

from db.schema import categories, districts, tickets
from queries.filters import Filters, at
from queries.rules import Rules, SpikeRule, load_rules

T = tickets.c
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Spike:
    """A district × category far above its usual count for these hours of the week."""

    district: str
    district_name: str
    district_name_ru: str | None
    category: str
    category_name: str
    category_name_ru: str | None
    count: int
    usual: float
    since: datetime  # the first report in the window
    p: float  # how often a count this high would happen by chance at the usual level

    def as_dict(self) -> dict:
        out = asdict(self)
        out["since"] = self.since.isoformat()
        out["usual"] = round(self.usual, 2)
        return out


def windows(f: Filters, rule: SpikeRule) -> list[tuple[datetime, datetime]]:
    """(start, end] of now's window (first) and of the same hours in each week before, as
    instants: whole weeks back on the city's wall clock."""
    local = f.as_of.astimezone(f.zone)
    out = []
    for w in range(rule.weeks + 1):
        end = (local - w * WEEK).astimezone(f.as_of.tzinfo)
        out.append((end - timedelta(hours=rule.hours), end))
    return out


def poisson_tail(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean), summed from the upper side so that it stays exact in
    the far tail (no 1 − (nearly 1))."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    term = math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))
    total, j = 0.0, k
    while term > total * 1e-17 or j < k + mean:
        total += term
        j += 1
        term *= mean / j
        if term == 0.0:
            break
    return min(total, 1.0)


def usual_level(weekly: list[int], prior: float, rule: SpikeRule) -> float:
    """The weeks' mean without the busiest one, shrunk towards `prior`, at least `floor`."""
    kept = sorted(weekly)[:-1] if len(weekly) > 1 else list(weekly)
    level = (sum(kept) + rule.prior_weeks * prior) / (len(kept) + rule.prior_weeks)
    return max(level, rule.floor)


def window_counts(conn: Connection, f: Filters, spans: list[tuple[datetime, datetime]]):
    """In one statement: per district × category × window, the reports created in it and not
    rejected by as_of, and the first of them; with the first ticket's instant and the number of
    districts on every row."""
    which = case(*((and_(T.created_at > at(s), T.created_at <= at(e)), w)
                   for w, (s, e) in enumerate(spans)), else_=-1).label("w")
    counted = (
        select(T.district_id, T.category_id, which, func.count().label("n"),
               func.min(T.created_at).label("earliest"))
        .where(or_(*(and_(T.created_at > at(s), T.created_at <= at(e)) for s, e in spans)),
               T.district_id.is_not(None),
               or_(T.rejected_at.is_(None), T.rejected_at > at(f.as_of)))
        .group_by(T.district_id, T.category_id, which)
        .subquery()
    )
    first = select(func.min(T.created_at)).scalar_subquery()
    n_districts = select(func.count()).select_from(districts).scalar_subquery()
    D, C = districts.c, categories.c
    return conn.execute(
        select(D.code, D.name, D.name_ru, C.code, C.name, C.name_ru, counted.c.w, counted.c.n,
               counted.c.earliest, first, n_districts)
        .select_from(counted.join(districts, D.id == counted.c.district_id)
                     .join(categories, C.id == counted.c.category_id))
    ).all()


def spikes(conn: Connection, f: Filters, rules: Rules | None = None) -> list[Spike]:
    """The spikes as of `f.as_of`, the least likely first."""
    rule = (rules or load_rules()).spikes
    spans = windows(f, rule)
    rows = window_counts(conn, f, spans)
    if not rows:
        return []
    first, n_districts = rows[0][-2], rows[0][-1]
    history = [w for w in range(1, len(spans)) if spans[w][0] >= first]
    if len(history) < 2:
        return []  # too little history to know what is usual
    counts: dict[tuple, dict[int, int]] = defaultdict(dict)
    since: dict[tuple, datetime] = {}
    city: dict[str, int] = defaultdict(int)
    for *names, w, n, earliest, _, _ in rows:
        key = tuple(names)
        counts[key][w] = n
        if w == 0:
            since[key] = earliest
        elif w in history:
            city[key[3]] += n
    found = []
    for key, by_week in counts.items():
        now = by_week.get(0, 0)
        if now < rule.min_count:
            continue
        prior = city[key[3]] / (len(history) * n_districts)
        usual = usual_level([by_week.get(w, 0) for w in history], prior, rule)
        p = poisson_tail(now, usual)
        if p < rule.alpha:
            found.append(Spike(*key, now, usual, since[key], p))
    return sorted(found, key=lambda s: (s.p, -s.count, s.district, s.category))
