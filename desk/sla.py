"""Deadlines by the city's SLA rules: a category's (and priority's) hours, on the clock of working
time or round the clock.

Every due instant the desk computes comes from here (the importer, the intake, the seed, the
simulator and `python -m db sla load --recompute`), so a ticket's deadline is counted one way.

The rules come from a TOML file the city edits (`parse`), are stored whole in the database
(`store`, tables sla_calendar and sla_rules) and read back as `Sla` (`load`). Working time is
counted in the city's zone: a day's working spans are wall-clock times turned into real instants,
so a span that contains a clock change holds the real time between its ends.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from db.schema import OPEN_STATUSES, SLA_CLOCKS, categories, sla_calendar, sla_rules, tickets
from db.toml_lines import decode_error
from db.types import to_epoch

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = {"urgent": 1, "high": 1, "normal": 2, "low": 3}
PRIORITY_NAMES = {1: "urgent", 2: "normal", 3: "low"}
CLOCKS = SLA_CLOCKS
MAX_HOURS = 24 * 366
MAX_DAYS = 366 * 20  # how far ahead a working deadline is looked for
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Span = tuple[int, int]  # minutes after local midnight: [start, end), end ≤ 1440


class SlaFileError(Exception):
    """The SLA file is refused whole; `line` is where the reason lies (None: the whole file)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.reason, self.line = reason, line


# ---------------------------------------------------------------------------------------------
# What a file says


@dataclass(frozen=True)
class Calendar:
    """The city's working time: spans per weekday (0 = Monday), and the days that differ."""

    week: dict[int, tuple[Span, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    short_days: dict[date, tuple[Span, ...]] = field(default_factory=dict)
    working_days: dict[date, tuple[Span, ...]] = field(default_factory=dict)

    def spans(self, day: date) -> tuple[Span, ...]:
        """The working spans of one local day."""
        if day in self.holidays:
            return ()
        if day in self.short_days:
            return self.short_days[day]
        if day in self.working_days:
            return self.working_days[day]
        return self.week.get(day.weekday(), ())

    def to_json(self) -> str:
        return json.dumps({
            "week": {WEEKDAYS[d]: list(map(list, s)) for d, s in sorted(self.week.items())},
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "short_days": {d.isoformat(): list(map(list, s))
                           for d, s in sorted(self.short_days.items())},
            "working_days": {d.isoformat(): list(map(list, s))
                             for d, s in sorted(self.working_days.items())},
        })

    @classmethod
    def from_json(cls, text: str) -> Calendar:
        raw = json.loads(text)

        def spans(value: list) -> tuple[Span, ...]:
            return tuple((int(a), int(b)) for a, b in value)

        return cls(
            week={WEEKDAYS.index(k): spans(v) for k, v in raw["week"].items()},
            holidays=frozenset(date.fromisoformat(d) for d in raw["holidays"]),
            short_days={date.fromisoformat(k): spans(v) for k, v in raw["short_days"].items()},
            working_days={date.fromisoformat(k): spans(v)
                          for k, v in raw["working_days"].items()},
        )


@dataclass(frozen=True)
class Rule:
    """A category's deadline (for one priority, or for all when `priority` is None)."""

    category_id: int
    category: str  # the category's name as the file wrote it
    priority: int | None
    hours: float
    clock: str

    def label(self) -> str:
        scope = f" ({PRIORITY_NAMES[self.priority]})" if self.priority else ""
        return f"{self.category}{scope}: {_hours_text(self.hours)} h {self.clock}"


@dataclass(frozen=True)
class SlaFile:
    calendar: Calendar
    rules: tuple[Rule, ...]


def _hours_text(hours: float) -> str:
    return f"{hours:g}"


class _Lines:
    """Finds the line a key stands on, for reasons about values (tomllib gives lines only for
    syntax errors)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.sections: list[tuple[str, int]] = []  # (header, line number)
        for number, line in enumerate(self.lines, 1):
            header = re.match(r"^\s*\[\[?\s*([\w.\"-]+)\s*\]\]?", line)
            if header:
                self.sections.append((header.group(1), number))

    def section(self, name: str, index: int = 0) -> tuple[int, int]:
        """(first, last) line of the `index`-th section called `name`; (0, 0) when absent."""
        found = [i for i, (header, _) in enumerate(self.sections) if header == name]
        if index >= len(found):
            return 0, 0
        i = found[index]
        first, last = self.sections[i][1], len(self.lines)
        for header, number in self.sections[i + 1:]:  # [calendar.hours] belongs to [calendar]
            if not header.startswith(name + "."):
                last = number - 1
                break
        return first, last

    def find(self, name: str, index: int, *needles: str) -> int | None:
        """The first line of the section holding every needle (the section's own line when no
        line does)."""
        first, last = self.section(name, index)
        if not first:
            return None
        for number in range(first, last + 1):
            line = self.lines[number - 1].split("#", 1)[0]
            if all(n in line for n in needles):
                return number
        return first


def parse(text: str, category_ids: dict[str, int]) -> SlaFile:
    """The calendar and rules a file says; `category_ids` maps lower-case names and codes to ids.

    Raises SlaFileError with the line and the reason at the first thing wrong.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SlaFileError(*decode_error(error)) from None
    lines = _Lines(text)
    unknown = set(raw) - {"calendar", "rule"}
    if unknown:
        key = sorted(unknown)[0]
        raise SlaFileError(f"unknown section or key {key!r} (expected [calendar] and [[rule]])",
                           _top_line(lines, key))
    calendar = _calendar(raw.get("calendar", {}), lines)
    rule_list = raw.get("rule", [])
    if not isinstance(rule_list, list):
        raise SlaFileError("rule must be written as [[rule]] tables", _top_line(lines, "rule"))
    rules = tuple(_rule(i, r, lines, category_ids) for i, r in enumerate(rule_list))
    seen: dict[tuple[int, int | None], int] = {}
    for i, rule in enumerate(rules):
        key = (rule.category_id, rule.priority)
        if key in seen:
            raise SlaFileError(f"a second rule for {rule.category!r}"
                               + (f" with priority {PRIORITY_NAMES[rule.priority]!r}"
                                  if rule.priority else "")
                               + f" (the first is rule {seen[key] + 1})",
                               lines.section("rule", i)[0])
        seen[key] = i
    if not rules:
        raise SlaFileError("the file holds no [[rule]]: loading it would remove every deadline "
                           "rule (see db/data/sla_demo.toml for the form)")
    working = [i for i, r in enumerate(rules) if r.clock == "working"]
    if working and not calendar.week:
        raise SlaFileError("a rule counts working hours but [calendar] sets no weekly hours",
                           lines.find("rule", working[0], "clock"))
    for i in sorted(working, key=lambda i: -rules[i].hours)[:1]:
        _reachable(calendar, rules[i], lines.find("rule", i, "hours"))
    return SlaFile(calendar, rules)


def _reachable(calendar: Calendar, rule: Rule, line: int | None) -> None:
    """SlaFileError unless `rule`'s working hours can be counted out on `calendar` from any
    day (the days it names are the hardest start: their holidays lie ahead), within the
    MAX_DAYS a deadline is looked for; a calendar of one minute a week would otherwise make
    every import and the simulator fail at the first ticket of that rule."""
    named = [*calendar.holidays, *calendar.short_days, *calendar.working_days]
    starts = {min(named) - timedelta(days=1)} if named else set()
    starts.add(datetime.now(UTC).date())
    clock = WorkingClock(calendar, ZoneInfo("UTC"))
    created = np.array([_epoch(day, 0, clock.tz) for day in sorted(starts)], dtype=np.int64)
    try:
        clock.add(created, np.full(len(created), round(rule.hours * 3600), dtype=np.int64))
    except ValueError:
        weekly = clock._weekly_seconds() / 3600
        raise SlaFileError(f"{rule.label()} cannot be met: the calendar's {weekly:g} working "
                           f"hours a week do not reach it within {MAX_DAYS // 366} years",
                           line) from None


def _top_line(lines: _Lines, key: str) -> int | None:
    for number, line in enumerate(lines.lines, 1):
        if re.match(rf"^\s*\[*\s*{re.escape(key)}\b", line):
            return number
    return None


def _calendar(raw: object, lines: _Lines) -> Calendar:
    def where(*needles: str) -> int | None:
        return lines.find("calendar", 0, *needles)

    if not isinstance(raw, dict):
        raise SlaFileError("calendar must be a table", _top_line(lines, "calendar"))
    unknown = set(raw) - {"hours", "holidays", "short_days", "working_days"}
    if unknown:
        key = sorted(unknown)[0]
        raise SlaFileError(f"unknown calendar key {key!r} (expected hours, holidays, short_days, "
                           "working_days)", where(key))
    hours = raw.get("hours", {})
    if not isinstance(hours, dict):
        raise SlaFileError('hours must be a table like { mon = "08:00-17:00" }', where("hours"))
    week: dict[int, tuple[Span, ...]] = {}
    for name, value in hours.items():
        if name not in WEEKDAYS:
            raise SlaFileError(f"unknown weekday {name!r} in hours (expected one of "
                               f"{', '.join(WEEKDAYS)})", where(name) or where("hours"))
        week[WEEKDAYS.index(name)] = _spans(value, where(name) or where("hours"))
    holidays_raw = raw.get("holidays", [])
    if not isinstance(holidays_raw, list):
        raise SlaFileError('holidays must be a list of dates like ["2026-03-09"]',
                           where("holidays"))
    holidays = {_date(v, where(str(v)) or where("holidays")) for v in holidays_raw}
    short_raw = raw.get("short_days", {})
    if not isinstance(short_raw, dict):
        raise SlaFileError('short_days must be a table like { "2026-03-06" = "08:00-16:00" }',
                           where("short_days"))
    short_days = {}
    for key, value in short_raw.items():
        day = _date(key, where(key) or where("short_days"))
        short_days[day] = _spans(value, where(key) or where("short_days"))
    working_raw = raw.get("working_days", [])
    if isinstance(working_raw, list):
        working_raw = {str(v): None for v in working_raw}
    if not isinstance(working_raw, dict):
        raise SlaFileError("working_days must be a list of dates or a table of date = weekday "
                           "or hours", where("working_days"))
    default_day = next((d for d in range(7) if week.get(d)), None)
    working_days = {}
    for key, value in working_raw.items():
        line = where(key) or where("working_days")
        day = _date(key, line)
        if value is None or (isinstance(value, str) and value in WEEKDAYS):
            replaced = default_day if value is None else WEEKDAYS.index(value)
            if replaced is None or not week.get(replaced):
                raise SlaFileError(f"working day {key} takes the hours of "
                                   f"{WEEKDAYS[replaced] if replaced is not None else 'a weekday'}"
                                   ", which has none", line)
            working_days[day] = week[replaced]
        else:
            working_days[day] = _spans(value, line)
    for day in sorted(holidays & (set(short_days) | set(working_days))):
        raise SlaFileError(f"{day} is a holiday and also a short or working day",
                           where(day.isoformat()))
    for day in sorted(set(short_days) & set(working_days)):
        raise SlaFileError(f"{day} is both a short day and a working day",
                           where(day.isoformat()))
    return Calendar(week, frozenset(holidays), short_days, working_days)


def _date(value: object, line: int | None) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SlaFileError(f"{value!r} is not a date like 2026-03-09", line) from None


def _spans(value: object, line: int | None) -> tuple[Span, ...]:
    """'08:00-17:00', or several spans '08:00-12:00, 13:00-17:00'; '00:00-24:00' is all day."""
    if not isinstance(value, str):
        raise SlaFileError(f'{value!r} is not working hours like "08:00-17:00"', line)
    spans: list[Span] = []
    for part in value.split(","):
        match = _SPAN.match(part)
        if not match:
            raise SlaFileError(f'{part.strip()!r} is not working hours like "08:00-17:00"', line)
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or h1 > 23 or end > 1440:
            raise SlaFileError(f"{part.strip()!r} is not a time of day", line)
        if end <= start:
            raise SlaFileError(f"{part.strip()!r} ends before it starts", line)
        if spans and start < spans[-1][1]:
            raise SlaFileError(f"{part.strip()!r} overlaps or precedes the span before it", line)
        spans.append((start, end))
    return tuple(spans)


def _rule(index: int, raw: object, lines: _Lines, category_ids: dict[str, int]) -> Rule:
    def where(key: str) -> int | None:
        return lines.find("rule", index, key)

    if not isinstance(raw, dict):
        raise SlaFileError("a rule must be a table", lines.section("rule", index)[0] or None)
    unknown = set(raw) - {"category", "priority", "hours", "clock"}
    if unknown:
        key = sorted(unknown)[0]
        raise SlaFileError(f"unknown rule key {key!r} (expected category, priority, hours, "
                           "clock)", where(key))
    for key in ("category", "hours", "clock"):
        if key not in raw:
            raise SlaFileError(f"a rule needs {key}", lines.section("rule", index)[0] or None)
    name = raw["category"]
    if not isinstance(name, str) or name.strip().lower() not in category_ids:
        raise SlaFileError(f"no category is called {name!r}", where("category"))
    priority = raw.get("priority")
    if priority is not None:
        if isinstance(priority, str) and priority.lower() in PRIORITIES:
            priority = PRIORITIES[priority.lower()]
        elif not (isinstance(priority, int) and not isinstance(priority, bool)
                  and 1 <= priority <= 3):
            raise SlaFileError(f"priority {priority!r} is not one of urgent (or high), normal, "
                               "low", where("priority"))
    hours = raw["hours"]
    if isinstance(hours, bool) or not isinstance(hours, int | float) \
            or not 0 < hours <= MAX_HOURS:
        raise SlaFileError(f"hours {hours!r} must be a number above 0 and at most {MAX_HOURS}",
                           where("hours"))
    if raw["clock"] not in CLOCKS:
        raise SlaFileError(f'clock {raw["clock"]!r} must be "working" or "calendar"',
                           where("clock"))
    return Rule(category_ids[name.strip().lower()], name.strip(), priority, float(hours),
                raw["clock"])


# ---------------------------------------------------------------------------------------------
# Counting working time


def _epoch(day: date, minute: int, tz: ZoneInfo) -> int:
    """The instant of a wall-clock minute of a local day (a wall time that occurs twice is read
    as the first; one that never occurs, as the same distance past the change)."""
    local = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minute)
    return to_epoch(local.astimezone(UTC))


class WorkingClock:
    """The calendar's working spans as real instants, with the working seconds before each, over
    a range of days that grows as needed: adding working time to many instants is then two
    binary searches per instant (the seed adds it to a hundred thousand)."""

    def __init__(self, calendar: Calendar, tz: ZoneInfo) -> None:
        self.calendar, self.tz = calendar, tz
        self.first: date | None = None
        self.last: date | None = None
        self.starts = np.empty(0, dtype=np.int64)
        self.ends = np.empty(0, dtype=np.int64)
        self.before = np.empty(0, dtype=np.int64)  # working seconds before each span

    def _local_day(self, epoch: int) -> date:
        return datetime.fromtimestamp(epoch, UTC).astimezone(self.tz).date()

    def _cover(self, first: date, last: date) -> None:
        if self.first is not None and self.first <= first and last <= self.last:
            return
        first = min(first, self.first or first)
        last = max(last, self.last or last)
        starts, ends = [], []
        day = first
        while day <= last:
            for a, b in self.calendar.spans(day):
                s, e = _epoch(day, a, self.tz), _epoch(day, b, self.tz)
                if starts and s <= ends[-1]:  # a span running on from the day before
                    ends[-1] = max(ends[-1], e)
                elif e > s:
                    starts.append(s)
                    ends.append(e)
            day += timedelta(days=1)
        self.first, self.last = first, last
        self.starts = np.array(starts, dtype=np.int64)
        self.ends = np.array(ends, dtype=np.int64)
        lengths = self.ends - self.starts
        self.before = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)

    def _worked(self, at: np.ndarray) -> np.ndarray:
        """Working seconds from the start of the range to each instant."""
        if not len(self.starts):  # a calendar with no working time
            return np.zeros(len(at), dtype=np.int64)
        i = np.searchsorted(self.starts, at, side="right") - 1
        inside = i >= 0
        j = np.maximum(i, 0)
        into = np.clip(at - self.starts[j], 0, self.ends[j] - self.starts[j])
        return np.where(inside, self.before[j] + into, 0)

    def add(self, created: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """created + `seconds` of working time, for epoch arrays; a ticket made outside working
        time starts counting at the next span, and a deadline that falls on a span's end is that
        end (not the start of the next)."""
        created = np.asarray(created, dtype=np.int64)
        seconds = np.asarray(seconds, dtype=np.int64)
        if not len(created):
            return created.copy()
        first = self._local_day(int(created.min())) - timedelta(days=1)
        reach = int(seconds.max())
        days = 14 + 7 * (reach // max(self._weekly_seconds(), 1) + 1)
        while days <= MAX_DAYS:
            last = self._local_day(int(created.max())) + timedelta(days=days)
            self._cover(first, last)
            target = self._worked(created) + seconds
            total = int(self.before[-1] + self.ends[-1] - self.starts[-1]) if len(self.starts) \
                else 0
            if len(self.starts) and int(target.max()) <= total:
                j = np.searchsorted(self.before + (self.ends - self.starts), target, side="left")
                return self.starts[j] + (target - self.before[j])
            days *= 2
        raise ValueError("the calendar has too little working time to reach the deadline")

    def between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working seconds from `start` to `end` (negative when end comes first)."""
        start = np.asarray(start, dtype=np.int64)
        end = np.asarray(end, dtype=np.int64)
        if not len(start):
            return start.copy()
        lo, hi = min(start.min(), end.min()), max(start.max(), end.max())
        self._cover(self._local_day(int(lo)) - timedelta(days=1),
                    self._local_day(int(hi)) + timedelta(days=1))
        return self._worked(end) - self._worked(start)

    def resumes(self, at: np.ndarray) -> np.ndarray:
        """For each instant outside working time, the instant working time starts again (the
        clock of a working-hours deadline stands still until then); -1 inside working time."""
        at = np.asarray(at, dtype=np.int64)
        if not len(at) or (not self._weekly_seconds() and not self.calendar.working_days):
            return np.full(len(at), -1, dtype=np.int64)
        days = 21
        while days <= MAX_DAYS:
            self._cover(self._local_day(int(at.min())) - timedelta(days=1),
                        self._local_day(int(at.max())) + timedelta(days=days))
            if not len(self.starts):
                days *= 2
                continue
            i = np.searchsorted(self.starts, at, side="right") - 1
            inside = (i >= 0) & (at < self.ends[np.maximum(i, 0)])
            nxt = i + 1
            if int(nxt[~inside].max(initial=-1)) < len(self.starts):
                return np.where(inside, -1, self.starts[np.minimum(nxt, len(self.starts) - 1)])
            days *= 2
        raise ValueError("the calendar has no working time ahead")

    def _weekly_seconds(self) -> int:
        return sum((b - a) * 60 for spans in self.calendar.week.values() for a, b in spans)


# ---------------------------------------------------------------------------------------------
# The rules in force


@dataclass(frozen=True)
class Due:
    """A deadline and how it was decided (tickets.due_at, due_basis, due_hours)."""

    at: datetime
    basis: str  # "calendar", "working" or "given"
    hours: float | None


class Sla:
    """The stored rules, with each category's own calendar hours for those without a rule."""

    def __init__(self, calendar: Calendar, rules: Iterable[Rule],
                 category_hours: dict[int, float], tz: ZoneInfo) -> None:
        self.calendar = calendar
        self.rules = {(r.category_id, r.priority): r for r in rules}
        self.category_hours = category_hours
        self.tz = tz
        self.clock = WorkingClock(calendar, tz)

    def rule(self, category_id: int, priority: int | None) -> tuple[float, str]:
        """(hours, clock) for a category and priority: its priority's rule, else its own rule,
        else the category's calendar hours (24 for one the desk does not know yet)."""
        found = self.rules.get((category_id, priority)) or self.rules.get((category_id, None))
        if found:
            return found.hours, found.clock
        return self.category_hours.get(category_id, 24.0), "calendar"

    def due(self, created: datetime, category_id: int, priority: int | None,
            given: datetime | None = None) -> Due:
        """The ticket's deadline: the one its source gave, else the rule's."""
        if given is not None:
            return Due(given, "given", None)
        hours, clock = self.rule(category_id, priority)
        epoch = self.due_epochs(np.array([to_epoch(created)]), np.array([category_id]),
                                np.array([priority or 2]))[0]
        return Due(datetime.fromtimestamp(int(epoch), UTC), clock, hours)

    def due_epochs(self, created: np.ndarray, category_ids: np.ndarray,
                   priorities: np.ndarray) -> np.ndarray:
        """Deadlines (epoch seconds) for arrays of creations, categories and priorities."""
        created = np.asarray(created, dtype=np.int64)
        hours, working = self.rule_arrays(category_ids, priorities)
        seconds = np.round(hours * 3600).astype(np.int64)
        due = created + seconds
        if working.any():
            due[working] = self.clock.add(created[working], seconds[working])
        return due

    def rule_arrays(self, category_ids: np.ndarray,
                    priorities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hours, counts working time) per ticket, looked up once per distinct pair."""
        keys = np.asarray(category_ids, dtype=np.int64) * 4 + np.asarray(priorities,
                                                                          dtype=np.int64)
        unique, inverse = np.unique(keys, return_inverse=True)
        found = [self.rule(int(k) // 4, int(k) % 4) for k in unique]
        hours = np.array([h for h, _ in found], dtype=float)[inverse]
        working = np.array([c == "working" for _, c in found], dtype=bool)[inverse]
        return hours, working

    def working_left(self, now: datetime, due: datetime) -> int:
        """Working seconds from now to the deadline (negative once it has passed)."""
        return int(self.clock.between(np.array([to_epoch(now)]), np.array([to_epoch(due)]))[0])


def category_keys(conn: Connection) -> dict[str, int]:
    """Category ids by lower-case code, name and Russian name (the first category wins)."""
    keys: dict[str, int] = {}
    rows = conn.execute(select(categories.c.id, categories.c.code, categories.c.name,
                               categories.c.name_ru).order_by(categories.c.id))
    for id_, *names in rows:
        for name in names:
            if name:
                keys.setdefault(name.strip().lower(), id_)
    return keys


def load_calendar(conn: Connection) -> Calendar:
    """The stored working calendar (none stored: no working time)."""
    spec = conn.execute(select(sla_calendar.c.spec)).scalar()
    return Calendar.from_json(spec) if spec else Calendar()


def load(conn: Connection, tz: ZoneInfo) -> Sla:
    """The rules in force (none stored: every category on its own calendar hours)."""
    calendar = load_calendar(conn)
    names = dict(conn.execute(select(categories.c.id, categories.c.name)).all())
    rules = [Rule(r.category_id, names.get(r.category_id, str(r.category_id)), r.priority,
                  float(r.hours), r.clock)
             for r in conn.execute(select(sla_rules).order_by(sla_rules.c.id))]
    hours = {id_: float(h) for id_, h in conn.execute(
        select(categories.c.id, categories.c.sla_hours))}
    return Sla(calendar, rules, hours, tz)


def store(conn: Connection, sla_file: SlaFile, source: str, now: datetime) -> None:
    """Replace the stored calendar and rules with the file's (inside the caller's transaction)."""
    conn.execute(delete(sla_rules))
    conn.execute(delete(sla_calendar))
    conn.execute(insert(sla_calendar), {"id": 1, "spec": sla_file.calendar.to_json(),
                                        "source": source[:300], "loaded_at": now})
    if sla_file.rules:
        conn.execute(insert(sla_rules), [
            {"category_id": r.category_id, "priority": r.priority, "hours": r.hours,
             "clock": r.clock} for r in sla_file.rules])


_RECOMPUTABLE = (tickets.c.status.in_(OPEN_STATUSES), tickets.c.due_basis != "given")


def count_recomputable(conn: Connection) -> int:
    """How many open tickets have a due the desk computed (not given by their source)."""
    return conn.execute(select(func.count()).select_from(tickets).where(*_RECOMPUTABLE)
                        ).scalar_one()


def open_without_given_due(conn: Connection, batch: int = 5000) -> Iterator[list]:
    """Open tickets whose due the desk computed (not given by the source), in batches."""
    query = (select(tickets.c.id, tickets.c.created_at, tickets.c.category_id,
                    tickets.c.priority, tickets.c.due_at, tickets.c.due_basis,
                    tickets.c.due_hours)
             .where(*_RECOMPUTABLE).order_by(tickets.c.id))
    rows = conn.execute(query).all()
    for start in range(0, len(rows), batch):
        yield rows[start:start + batch]


def recompute(conn: Connection, sla: Sla, progress=None) -> int:
    """Recompute the due of open tickets that had no given deadline; returns how many changed.

    The version is not bumped: a deadline is the desk's rule, not a change to the ticket that
    would make someone's pending reassignment of it fail."""
    changed = 0
    for rows in open_without_given_due(conn):
        created = np.array([to_epoch(r.created_at) for r in rows], dtype=np.int64)
        cats = np.array([r.category_id for r in rows], dtype=np.int64)
        prios = np.array([r.priority for r in rows], dtype=np.int64)
        due = sla.due_epochs(created, cats, prios)
        hours, working = sla.rule_arrays(cats, prios)
        values = []
        for r, d, h, w in zip(rows, due, hours, working, strict=True):
            new = datetime.fromtimestamp(int(d), UTC)
            basis = "working" if w else "calendar"
            if (new, basis, float(h)) != (r.due_at, r.due_basis, r.due_hours):
                values.append({"b_id": r.id, "b_due": new, "b_basis": basis, "b_hours": float(h)})
        if values:
            conn.execute(update(tickets).where(tickets.c.id == bindparam("b_id")).values(
                due_at=bindparam("b_due"), due_basis=bindparam("b_basis"),
                due_hours=bindparam("b_hours")), values)
            changed += len(values)
        if progress is not None:
            progress(len(rows))
    return changed
