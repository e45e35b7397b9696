"""The weekly meeting's figures: an ISO week in city time, beside the week before and the mean of
the four weeks before it, for the city and for each department.

A week runs from its Monday's local midnight to the next Monday's (168 hours, or 167/169 across a
daylight-saving change). Definitions as for the overview, over the week [start, end):
received = created in the week; resolved = resolved in the week; on time = of those resolved, the
share resolved at or before due; medians over the tickets accepted / resolved in the week (exact);
open and overdue = as of `end`; passed on = tickets a department handed to another in the week.
Departments are those the tickets are in now, as on the overview.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from db.schema import categories, departments, districts, ticket_events, tickets
from db.types import seconds
from queries.filters import Filters, at, is_open, is_overdue
from queries.tickets import oldest_open

T = tickets.c
E = ticket_events.c
WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")
FIGURES = ("received", "resolved", "on_time_pct", "median_accept_s", "median_resolve_s",
           "open_at_end", "overdue_at_end", "passed_on")
DRILLABLE = ("received", "resolved", "accepted", "open_at_end", "overdue_at_end", "passed_on")
# The tickets behind each figure: a share or a median opens the tickets it is computed over.
TICKETS_OF = {"received": "received", "resolved": "resolved", "on_time_pct": "resolved",
              "median_accept_s": "accepted", "median_resolve_s": "resolved",
              "open_at_end": "open_at_end", "overdue_at_end": "overdue_at_end",
              "passed_on": "passed_on"}
CITY = None  # the key of the city's figures among the departments'


@dataclass(frozen=True)
class Week:
    """An ISO week in the city's zone: [start, end), both local midnights of Mondays."""

    year: int
    number: int
    tz: str

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def start(self) -> datetime:
        """Its Monday's local midnight, as a UTC instant (so differences are true durations)."""
        return _midnight(self.monday, self.tz)

    @property
    def end(self) -> datetime:
        return _midnight(self.monday + timedelta(days=7), self.tz)

    def shifted(self, weeks: int) -> Week:
        """The week `weeks` later (earlier when negative)."""
        return week_of_date(self.monday + timedelta(weeks=weeks), self.tz)


def _midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def week_of_date(day: date, tz: str) -> Week:
    year, number, _ = day.isocalendar()
    return Week(year, number, tz)


def parse_week(label: str, tz: str) -> Week:
    """"2026-W10" as a week; ValueError when it is not an ISO week that exists."""
    match = WEEK_LABEL.match(label.strip())
    if not match:
        raise ValueError(f"not an ISO week (YYYY-Www): {label!r}")
    year, number = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"{label!r}: {year} has no week {number}") from None
    if not 1970 <= year <= 9998:
        raise ValueError(f"{label!r}: the year is out of range")
    return Week(year, number, tz)


def last_full_week(as_of: datetime, tz: str) -> Week:
    """The latest week that ended at or before `as_of`."""
    return week_of_date(as_of.astimezone(ZoneInfo(tz)).date(), tz).shifted(-1)


def _between(column, week: Week) -> ColumnElement[bool]:
    return and_(column >= at(week.start), column < at(week.end))


def _at_end(week: Week) -> Filters:
    return Filters(as_of=week.end, tz=week.tz)


def _passed_on_ids(week: Week, department_code: str | None = None):
    """The tickets reassigned away in the week (from that department, when one is given)."""
    query = select(E.ticket_id).where(E.kind == "reassigned", _between(E.at, week))
    if department_code is not None:
        query = query.where(E.from_department_id.in_(
            select(departments.c.id).where(departments.c.code == department_code)))
    return query


def figure_clause(figure: str, week: Week, department_code: str | None = None,
                  category_code: str | None = None, district_code: str | None = None
                  ) -> ColumnElement[bool]:
    """The tickets behind one weekly figure: the drill-down's rows. For `passed_on` the
    department is the one that passed them on; for the others, the one they are in now. A
    category or district (a rise's row) narrows them to its own."""
    clause = _figure_clause(figure, week, department_code)
    for column, table, code in ((T.category_id, categories, category_code),
                                (T.district_id, districts, district_code)):
        if code is not None:
            clause = and_(clause, column.in_(select(table.c.id).where(table.c.code == code)))
    return clause


def _figure_clause(figure: str, week: Week, department_code: str | None) -> ColumnElement[bool]:
    if figure not in DRILLABLE:
        raise ValueError(f"no tickets behind {figure!r}")
    if figure == "passed_on":
        return T.id.in_(_passed_on_ids(week, department_code))
    clause = {
        "received": lambda: _between(T.created_at, week),
        "resolved": lambda: _between(T.resolved_at, week),
        "accepted": lambda: _between(T.accepted_at, week),
        "open_at_end": lambda: is_open(_at_end(week)),
        "overdue_at_end": lambda: is_overdue(_at_end(week)),
    }[figure]()
    if department_code is not None:
        clause = and_(clause, T.department_id.in_(
            select(departments.c.id).where(departments.c.code == department_code)))
    return clause


@dataclass(frozen=True)
class WeekFigures:
    """One week's figures for the city or one department."""

    received: int = 0
    resolved: int = 0
    on_time_pct: float | None = None
    median_accept_s: float | None = None
    median_resolve_s: float | None = None
    open_at_end: int = 0
    overdue_at_end: int = 0
    passed_on: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def week_figures(conn: Connection, week: Week) -> dict[int | None, WeekFigures]:
    """The week's figures by department id (every department, also those with nothing), and the
    city's under `CITY`. Seven grouped reads; the medians are exact over the week's rows."""
    counts: dict[int | None, dict] = defaultdict(dict)
    for dept, n in conn.execute(select(T.department_id, func.count())
                                .where(_between(T.created_at, week)).group_by(T.department_id)):
        counts[dept]["received"] = n
    for dept, n, on_time in conn.execute(
            select(T.department_id, func.count(),
                   func.sum(case((T.resolved_at <= T.due_at, 1), else_=0)))
            .where(_between(T.resolved_at, week)).group_by(T.department_id)):
        counts[dept]["resolved"], counts[dept]["on_time"] = n, int(on_time or 0)
    end = _at_end(week)
    for dept, n, late in conn.execute(
            select(T.department_id, func.count(),
                   func.sum(case((T.due_at < at(week.end), 1), else_=0)))
            .where(is_open(end)).group_by(T.department_id)):
        counts[dept]["open_at_end"], counts[dept]["overdue_at_end"] = n, int(late or 0)
    passed = conn.execute(select(E.from_department_id, func.count(func.distinct(E.ticket_id)))
                          .where(E.kind == "reassigned", _between(E.at, week))
                          .group_by(E.from_department_id)).all()
    for dept, n in passed:
        counts[dept]["passed_on"] = n
    city_passed = conn.execute(select(func.count(func.distinct(E.ticket_id)))
                               .where(E.kind == "reassigned", _between(E.at, week))).scalar_one()
    durations: dict[str, dict[int | None, list[float]]] = {}
    for name, column in (("accept", T.accepted_at), ("resolve", T.resolved_at)):
        by_dept: dict[int | None, list[float]] = defaultdict(list)
        for dept, d in conn.execute(select(T.department_id, seconds(column, T.created_at))
                                    .where(_between(column, week))):
            by_dept[dept].append(float(d))
            by_dept[CITY].append(float(d))
        durations[name] = by_dept
    ids = conn.execute(select(departments.c.id)).scalars().all()
    result = {dept: _figures(counts.get(dept, {}), durations, dept) for dept in ids}
    city = {key: sum(c.get(key, 0) for c in counts.values())
            for key in ("received", "resolved", "on_time", "open_at_end", "overdue_at_end")}
    result[CITY] = replace(_figures(city, durations, CITY), passed_on=int(city_passed))
    return result


def _figures(c: dict, durations: dict, dept: int | None) -> WeekFigures:
    resolved = int(c.get("resolved", 0))
    return WeekFigures(
        received=int(c.get("received", 0)),
        resolved=resolved,
        on_time_pct=100.0 * c.get("on_time", 0) / resolved if resolved else None,
        median_accept_s=_median(durations["accept"].get(dept, [])),
        median_resolve_s=_median(durations["resolve"].get(dept, [])),
        open_at_end=int(c.get("open_at_end", 0)),
        overdue_at_end=int(c.get("overdue_at_end", 0)),
        passed_on=int(c.get("passed_on", 0)),
    )


def mean_figures(weeks: list[WeekFigures]) -> dict[str, float | None]:
    """Each figure's mean over the weeks that have it (None where none has)."""
    out: dict[str, float | None] = {}
    for name in FIGURES:
        values = [getattr(w, name) for w in weeks if getattr(w, name) is not None]
        out[name] = sum(values) / len(values) if values else None
    return out


@dataclass(frozen=True)
class Rise:
    """A category or district whose received count rose most against its usual."""

    code: str
    name: str
    name_ru: str | None
    count: int
    usual: float  # the mean of the four weeks before

    @property
    def rise(self) -> float:
        return self.count - self.usual


def rises(conn: Connection, week: Week, dimension: str, limit: int = 5) -> list[Rise]:
    """The categories (`dimension="category"`) or districts that rose most in the week against
    the mean of the four weeks before it; only those that rose."""
    table, column = {"category": (categories, T.category_id),
                     "district": (districts, T.district_id)}[dimension]
    first = week.shifted(-4)
    bucket = case(*[(_between(T.created_at, week.shifted(-k)), k) for k in range(5)], else_=-1)
    rows = conn.execute(
        select(column, bucket.label("k"), func.count())
        .where(T.created_at >= at(first.start), T.created_at < at(week.end), column.is_not(None))
        .group_by(column, bucket)).all()
    now: dict[int, int] = defaultdict(int)
    before: dict[int, int] = defaultdict(int)
    for key, k, n in rows:
        if k == 0:
            now[key] += n
        elif k > 0:
            before[key] += n
    names = {r.id: r for r in conn.execute(select(table.c.id, table.c.code, table.c.name,
                                                  table.c.name_ru))}
    found = [Rise(names[key].code, names[key].name, names[key].name_ru, now.get(key, 0),
                  before.get(key, 0) / 4) for key in set(now) | set(before)]
    rising = sorted((r for r in found if r.rise > 0), key=lambda r: (-r.rise, r.code))
    return rising[:limit]


def as_json(week: Week, figures: dict[int | None, WeekFigures], names: dict[int, str]) -> dict:
    """The contract of `python -m queries week --json`."""
    rows = [{"department": names[dept], **f.as_dict()}
            for dept, f in figures.items() if dept is not CITY]
    rows.sort(key=lambda r: (-r["overdue_at_end"], -r["open_at_end"], r["department"]))
    zone = ZoneInfo(week.tz)
    return {"week": week.label, "start": week.start.astimezone(zone).isoformat(),
            "end": week.end.astimezone(zone).isoformat(),
            "city": figures[CITY].as_dict(), "departments": rows}


@dataclass(frozen=True)
class WeekReview:
    """Everything the week page and the meeting pack show."""

    week: Week
    figures: dict[int | None, WeekFigures]
    previous: dict[int | None, WeekFigures]
    usual: dict[int | None, dict[str, float | None]]  # the mean of the four weeks before
    departments: pd.DataFrame  # id, code, name, name_ru
    categories: list[Rise]
    districts: list[Rise]
    oldest_open: pd.DataFrame

    def as_json(self) -> dict:
        names = dict(zip(self.departments["id"], self.departments["name"], strict=True))
        return as_json(self.week, self.figures, names)

    def discuss(self) -> list[int]:
        """The departments that need discussing, most overdue at the week's end first: those
        with overdue or open work at its end."""
        keyed = [(dept, f) for dept, f in self.figures.items()
                 if dept is not CITY and f.overdue_at_end > 0]
        keyed.sort(key=lambda item: (-item[1].overdue_at_end, -item[1].open_at_end, item[0]))
        return [dept for dept, _ in keyed]


def review(conn: Connection, week: Week) -> WeekReview:
    """The week, the week before and the mean of the four weeks before it, by department; what
    rose most; the ten oldest tickets still open at the week's end."""
    earlier = [week_figures(conn, week.shifted(-k)) for k in range(1, 5)]
    figures = week_figures(conn, week)
    usual = {dept: mean_figures([w[dept] for w in earlier]) for dept in figures}
    frame = pd.DataFrame(conn.execute(select(departments.c.id, departments.c.code,
                                             departments.c.name, departments.c.name_ru)).all(),
                         columns=["id", "code", "name", "name_ru"])
    return WeekReview(week=week, figures=figures, previous=earlier[0], usual=usual,
                      departments=frame, categories=rises(conn, week, "category"),
                      districts=rises(conn, week, "district"),
                      oldest_open=oldest_open(conn, _at_end(week), limit=10))


def week_points(conn: Connection, week: Week, limit: int = 20_000) -> pd.DataFrame:
    """Where the week's tickets were reported (lat, lon), and whether each was overdue at the
    week's end: the pack's map of problem points."""
    end = at(week.end)
    overdue = and_(is_open(_at_end(week)), T.due_at < end)
    query = (select(T.lat, T.lon, case((overdue, 1), else_=0).label("overdue"))
             .where(_between(T.created_at, week), T.lat.is_not(None), T.lon.is_not(None))
             .order_by(T.id).limit(limit))
    return pd.DataFrame(conn.execute(query).all(), columns=["lat", "lon", "overdue"])
