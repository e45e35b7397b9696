"""SLA rules: the file, deadlines in working hours, and the figures that follow from them.

Every deadline is checked against `stepped_due`, an independent count written here: it walks
minute by minute from creation (second by second off the minute) and counts the time when the
city's wall clock shows a working minute of that local day, reading the calendar straight from
the file's text.
"""

from __future__ import annotations

import json
import random
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, insert, select, update

from db.__main__ import main
from db.config import ROOT
from db.schema import categories, departments, sla_calendar, sla_rules, tickets
from desk import sla
from devtools import oracle
from queries.counters import counters
from queries.filters import Filters

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)

# Berlin, October 2026: a holiday with a short day before it (5-6 Oct), three transferred
# Saturdays (one at Tuesday's hours, one at hours of its own, one at Friday's), a lunch break on
# Wednesdays, a Sunday night shift through the autumn clock change (25 Oct, 03:00 → 02:00) and a
# short day before a second holiday (26-27 Oct).
BERLIN_FILE = """\
# a test city
[calendar]
holidays = ["2026-10-06", "2026-10-27"]
short_days = { "2026-10-05" = "08:00-16:00", "2026-10-26" = "08:00-14:00" }
working_days = { "2026-10-10" = "tue", "2026-10-17" = "09:00-13:00", "2026-10-24" = "fri" }

[calendar.hours]
mon = "08:00-17:00"
tue = "08:00-17:00"
wed = "08:00-12:00, 13:00-17:00"
thu = "08:00-17:00"
fri = "08:00-16:00"
sun = "00:00-06:00"

[[rule]]
category = "Pothole"
hours = 9
clock = "working"

[[rule]]
category = "tree_trim"
hours = 45
clock = "working"

[[rule]]
category = "Noise"
hours = 1.5
clock = "working"

[[rule]]
category = "Water leak"
hours = 24
clock = "calendar"

[[rule]]
category = "Water leak"
priority = "urgent"
hours = 4
clock = "calendar"
"""

# New York, November 2026: clocks go back on Sunday 1 Nov (02:00 → 01:00) inside a night shift;
# a transferred Saturday written as a bare date works at Monday's hours.
WEEKDAY_HOURS = ", ".join(f'{day} = "09:00-17:00"' for day in ("mon", "tue", "wed", "thu", "fri"))
NEW_YORK_FILE = f"""\
[calendar]
hours = {{ {WEEKDAY_HOURS}, sun = "00:00-04:00" }}
holidays = ["2026-11-03", "2026-11-26"]
short_days = {{ "2026-11-25" = "09:00-13:00" }}
working_days = ["2026-11-07"]

[[rule]]
category = "Pothole"
hours = 9
clock = "working"
"""

CATEGORIES = {  # name: (code, its own calendar hours)
    "Pothole": ("pothole", 72.0),
    "Tree pruning": ("tree_trim", 336.0),
    "Noise": ("noise", 72.0),
    "Water leak": ("water_leak", 12.0),
    "Street light": ("street_light", 48.0),  # no rule: its own calendar hours
}
RULES = {"pothole": (9, "working"), "tree_trim": (45, "working"), "noise": (1.5, "working"),
         "water_leak": (24, "calendar"), "street_light": (48, "calendar")}


# ---------------------------------------------------------------------------------------------
# The independent count


def _minutes(span: str) -> list[tuple[int, int]]:
    out = []
    for part in span.split(","):
        start, end = part.strip().split("-")
        h1, m1 = start.split(":")
        h2, m2 = end.split(":")
        out.append((int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)))
    return out


class SteppedCalendar:
    """The calendar of a file's text, asked one wall-clock minute at a time."""

    def __init__(self, text: str, tz: ZoneInfo) -> None:
        cal = tomllib.loads(text)["calendar"]
        names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        self.tz = tz
        self.week = {names.index(k): _minutes(v) for k, v in cal["hours"].items()}
        self.holidays = {date.fromisoformat(d) for d in cal["holidays"]}
        self.short = {date.fromisoformat(k): _minutes(v) for k, v in cal["short_days"].items()}
        working = cal["working_days"]
        if isinstance(working, list):
            working = {d: "mon" for d in working}
        self.working = {date.fromisoformat(k): (self.week[names.index(v)] if v in names
                                                 else _minutes(v)) for k, v in working.items()}

    def works(self, at: datetime) -> bool:
        """Whether the minute starting at `at` is working time."""
        local = at.astimezone(self.tz)
        day = local.date()
        if day in self.holidays:
            return False
        spans = self.short.get(day) or self.working.get(day) or self.week.get(day.weekday(), [])
        minute = local.hour * 60 + local.minute
        return any(a <= minute < b for a, b in spans)


def stepped_due(created: datetime, hours: float, clock: str, cal: SteppedCalendar) -> datetime:
    if clock == "calendar":
        return created + timedelta(hours=hours)
    left = round(hours * 3600)  # seconds; whole minutes are walked a minute at a time
    at = created
    while left:
        step = MINUTE if at.second == 0 and left >= 60 else SECOND
        if cal.works(at):
            left -= int(step.total_seconds())
        at += step
    return at


# ---------------------------------------------------------------------------------------------
# Cases


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


NAMED_CASES = [  # (created, category code)
    (berlin(10, 7, 18, 30), "pothole"),  # after hours on a Wednesday
    (berlin(10, 8, 7, 0), "pothole"),  # before hours
    (berlin(10, 13, 23, 59), "noise"),  # just before midnight
    (berlin(10, 2, 16, 30), "pothole"),  # Friday evening: Sunday's night shift, then Monday
    (berlin(10, 9, 16, 30), "pothole"),  # Friday evening before a transferred Saturday
    (berlin(10, 16, 19, 0), "tree_trim"),  # Friday evening, a week of work
    (berlin(10, 5, 10, 0), "pothole"),  # the short day before a holiday
    (berlin(10, 5, 15, 30), "noise"),  # half an hour before the short day ends
    (berlin(10, 26, 13, 0), "pothole"),  # the short day before the second holiday
    (berlin(10, 10, 7, 0), "pothole"),  # a transferred working Saturday (Tuesday's hours)
    (berlin(10, 10, 10, 0), "noise"),
    (berlin(10, 17, 12, 0), "pothole"),  # a transferred Saturday at hours of its own
    (berlin(10, 24, 15, 0), "pothole"),  # the Saturday before the clock change
    (berlin(10, 24, 23, 0), "pothole"),  # the night of the change: 7 real hours of night shift
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "noise"),  # 02:30 the first time
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "noise"),  # 02:30 the second time
    (berlin(10, 14, 12, 30), "noise"),  # in the Wednesday lunch break
    (berlin(10, 12, 8, 0), "pothole"),  # due exactly at the end of Monday
    (berlin(10, 2, 9, 0), "water_leak"),  # round the clock
    (berlin(10, 25, 1, 0), "water_leak"),  # round the clock across the change: 24 real hours
    (berlin(10, 3, 12, 0), "street_light"),  # no rule: its own 48 calendar hours
]


def berlin_cases(n: int = 110) -> list[tuple[datetime, str]]:
    """The named cases, then minute-aligned instants all over October at random."""
    rng = random.Random(17)
    start = berlin(10, 1, 0)
    cases = list(NAMED_CASES)
    while len(cases) < n:
        created = start + timedelta(minutes=rng.randrange(31 * 24 * 60))
        cases.append((created, rng.choice(sorted(RULES))))
    return cases


# ---------------------------------------------------------------------------------------------
# The computation alone


def _sla(text: str, tz: ZoneInfo) -> sla.Sla:
    keys = {}
    for i, (name, (code, _)) in enumerate(CATEGORIES.items(), 1):
        keys[name.lower()] = keys[code] = i
    parsed = sla.parse(text, keys)
    hours = {i: h for i, (_, h) in enumerate(CATEGORIES.values(), 1)}
    return sla.Sla(parsed.calendar, parsed.rules, hours, tz)


CODE_IDS = {code: i for i, (code, _) in enumerate(CATEGORIES.values(), 1)}


def test_due_in_working_hours_agrees_with_minute_stepping_in_berlin():
    rules, cal = _sla(BERLIN_FILE, BERLIN), SteppedCalendar(BERLIN_FILE, BERLIN)
    cases = berlin_cases()
    for created, code in cases:
        hours, clock = RULES[code]
        due = rules.due(created, CODE_IDS[code], 2)
        assert due.at == stepped_due(created, hours, clock, cal), (created, code)
        assert (due.basis, due.hours) == (clock, hours)
    # The same deadlines, many at a time (the seed's way).
    created = np.array([int(c.timestamp()) for c, _ in cases])
    ids = np.array([CODE_IDS[code] for _, code in cases])
    expected = [int(stepped_due(c, *RULES[code], cal).timestamp()) for c, code in cases]
    assert rules.due_epochs(created, ids, np.full(len(cases), 2)).tolist() == expected


def test_named_edges_land_where_a_person_would_put_them():
    rules = _sla(BERLIN_FILE, BERLIN)

    def due(created: datetime, code: str) -> datetime:
        return rules.due(created, CODE_IDS[code], 2).at.astimezone(BERLIN).replace(tzinfo=None)

    # Friday 16:30 → 6 h of Sunday's night shift, 3 h on Monday's short day.
    assert due(berlin(10, 2, 16, 30), "pothole") == datetime(2026, 10, 5, 11, 0)
    # Friday 16:30 before a transferred Saturday: that Saturday works Tuesday's 9 hours.
    assert due(berlin(10, 9, 16, 30), "pothole") == datetime(2026, 10, 10, 17, 0)
    # Monday 10:00 on the short day (6 h left), Tuesday a holiday, 3 h on Wednesday.
    assert due(berlin(10, 5, 10, 0), "pothole") == datetime(2026, 10, 7, 11, 0)
    # Monday 08:00 + 9 h: 17:00 the same day, not 08:00 the next.
    assert due(berlin(10, 12, 8, 0), "pothole") == datetime(2026, 10, 12, 17, 0)
    # Saturday 23:00 before the change: the night shift holds 7 real hours, then 2 h on Monday.
    assert due(berlin(10, 24, 23, 0), "pothole") == datetime(2026, 10, 26, 10, 0)
    # Wednesday lunch: 1.5 h from 13:00.
    assert due(berlin(10, 14, 12, 30), "noise") == datetime(2026, 10, 14, 14, 30)


def test_a_priority_rule_wins_over_the_categorys_rule():
    rules = _sla(BERLIN_FILE, BERLIN)
    created = berlin(10, 2, 9, 0)
    assert rules.due(created, CODE_IDS["water_leak"], 1).at == created + timedelta(hours=4)
    assert rules.due(created, CODE_IDS["water_leak"], 2).at == created + timedelta(hours=24)
    given = created + timedelta(hours=1)
    assert rules.due(created, CODE_IDS["water_leak"], 1, given=given) == sla.Due(
        given, "given", None)


def test_new_york_autumn_change_and_a_bare_working_saturday():
    rules, cal = _sla(NEW_YORK_FILE, NEW_YORK), SteppedCalendar(NEW_YORK_FILE, NEW_YORK)
    rng = random.Random(1563)
    start = datetime(2026, 10, 30, tzinfo=NEW_YORK).astimezone(UTC)
    named = [datetime(2026, 10, 31, 22, 0, tzinfo=NEW_YORK),  # the night the clocks go back
             datetime(2026, 11, 6, 17, 30, tzinfo=NEW_YORK),  # Friday evening → working Saturday
             datetime(2026, 11, 2, 12, 0, tzinfo=NEW_YORK),  # the day before a holiday
             datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK)]  # a short day before Thanksgiving
    instants = [n.astimezone(UTC) for n in named]
    instants += [start + timedelta(minutes=rng.randrange(30 * 24 * 60)) for _ in range(100)]
    for created in instants:
        assert rules.due(created, CODE_IDS["pothole"], 2).at == stepped_due(
            created, 9, "working", cal), created
    # The Sunday shift of 1 Nov holds 5 real hours, so Saturday 22:00 + 9 h ends Monday 13:00.
    assert rules.due(instants[0], CODE_IDS["pothole"], 2).at == datetime(
        2026, 11, 2, 13, 0, tzinfo=NEW_YORK)
    # Friday 17:30 → the transferred Saturday works Monday's 09:00-17:00, then 1 h on Sunday.
    assert rules.due(instants[1], CODE_IDS["pothole"], 2).at == datetime(
        2026, 11, 8, 1, 0, tzinfo=NEW_YORK)


def test_working_time_left_counts_only_working_seconds():
    rules = _sla(BERLIN_FILE, BERLIN)
    due = berlin(10, 5, 11, 0)
    assert rules.working_left(berlin(10, 2, 15, 0), due) == (1 + 6 + 3) * 3600
    assert rules.working_left(berlin(10, 5, 12, 0), due) == -3600


# ---------------------------------------------------------------------------------------------
# The file


@pytest.mark.parametrize(("text", "line", "reason"), [
    ('[calendar]\nhours = { mon = "08:00-17:00" \n', 2, "Unclosed inline table"),
    ('[calendar]\nhours = { mon = "8-17" }\n', 2, "'8-17' is not working hours"),
    ('[calendar]\nhours = { mon = "17:00-08:00" }\n', 2, "ends before it starts"),
    ('[calendar]\nhours = { moon = "08:00-17:00" }\n', 2, "unknown weekday 'moon'"),
    ('[calendar]\nhours = { mon = "08:00-17:00" }\nholidays = ["2026-02-30"]\n', 3,
     "'2026-02-30' is not a date"),
    ('[calendar]\nhours = { mon = "08:00-17:00" }\nholidays = ["2026-03-09"]\n'
     'short_days = { "2026-03-09" = "08:00-16:00" }\n', 3, "is a holiday and also"),
    ('[calendar]\nhours = { mon = "08:00-17:00" }\nworking_days = { "2026-03-14" = "sat" }\n', 3,
     "takes the hours of sat, which has none"),
    ('[calendar]\nhours = { mon = "08:00-17:00" }\n\n[[rule]]\ncategory = "Pothole"\nhours = 9\n'
     '\n[[rule]]\ncategory = "Nowhere"\nhours = 9\nclock = "working"\n', 4,
     "a rule needs clock"),
    ('[calendar]\nhours = { mon = "08:00-17:00" }\n\n[[rule]]\ncategory = "Pothole"\nhours = 9\n'
     'clock = "working"\n\n[[rule]]\n# the second\ncategory = "Nowhere"\nhours = 9\n'
     'clock = "working"\n', 11, "no category is called 'Nowhere'"),
    ('[[rule]]\ncategory = "Pothole"\nhours = -1\nclock = "working"\n', 3,
     "hours -1 must be a number above 0"),
    ('[[rule]]\ncategory = "Pothole"\nhours = 9\nclock = "weekly"\n', 4,
     "clock 'weekly' must be"),
    ('[[rule]]\ncategory = "Pothole"\npriority = "asap"\nhours = 9\nclock = "calendar"\n', 3,
     "priority 'asap' is not one of"),
    ('[[rule]]\ncategory = "Pothole"\nhours = 9\nclock = "working"\n', 4,
     "[calendar] sets no weekly hours"),
    ('[[rule]]\ncategory = "Pothole"\nhours = 9\nclock = "calendar"\n\n[[rule]]\n'
     'category = "pothole"\nhours = 4\nclock = "calendar"\n', 6, "a second rule for 'pothole'"),
    ('[rules]\nx = 1\n', 1, "unknown section or key 'rules'"),
])
def test_a_bad_file_names_its_line_and_reason(text, line, reason):
    keys = {"pothole": 1}
    with pytest.raises(sla.SlaFileError) as caught:
        sla.parse(text, keys)
    assert caught.value.line == line, str(caught.value)
    assert reason in caught.value.reason


def test_the_demo_file_parses_against_the_demo_city():
    from demo import city

    keys = {c.code: i for i, c in enumerate(city.CATEGORIES, 1)}
    parsed = sla.parse((ROOT / "db/data/sla_demo.toml").read_text(), keys)
    assert date(2026, 1, 7) in parsed.calendar.holidays
    assert parsed.calendar.spans(date(2026, 11, 3)) == ((480, 960),)  # before Unity Day
    assert parsed.calendar.spans(date(2026, 11, 4)) == ()
    urgent = {r.category_id for r in parsed.rules if r.priority == 1}
    gas = keys["gas_smell"]  # 2 h round the clock whatever the priority: stricter than 4 h
    assert urgent == {i for i, c in enumerate(city.CATEGORIES, 1) if c.urgent} - {gas}
    assert [(r.priority, r.hours, r.clock) for r in parsed.rules if r.category_id == gas] == [
        (None, 2, "calendar")]
    assert all((r.hours, r.clock) == (4, "calendar") for r in parsed.rules if r.priority == 1)


# ---------------------------------------------------------------------------------------------
# On both databases: load, import, recompute, figures


def _city(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        dept = conn.execute(insert(departments).values(code="STREETS", name="Streets")
                            .returning(departments.c.id)).scalar_one()
        ids = {}
        for name, (code, hours) in CATEGORIES.items():
            ids[code] = conn.execute(insert(categories).values(
                code=code, name=name, department_id=dept, sla_hours=hours,
            ).returning(categories.c.id)).scalar_one()
    return ids


def _open311(path: Path, cases: list[tuple[datetime, str]], given: dict[int, datetime]) -> None:
    names = {code: name for name, (code, _) in CATEGORIES.items()}
    records = []
    for i, (created, code) in enumerate(cases):
        record = {"service_request_id": f"T-{i:03d}", "service_name": names[code],
                  "status": "open", "requested_datetime": created.isoformat()}
        if i in given:
            record["expected_datetime"] = given[i].isoformat()
        records.append(record)
    path.write_text(json.dumps(records))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _dues(engine: Engine) -> dict[str, tuple[datetime, str, float | None]]:
    with engine.connect() as conn:
        return {r.external_id: (r.due_at, r.due_basis, r.due_hours) for r in conn.execute(
            select(tickets.c.external_id, tickets.c.due_at, tickets.c.due_basis,
                   tickets.c.due_hours))}


def test_imported_tickets_take_their_due_from_the_loaded_rules(engine, db_url, tmp_path,
                                                               monkeypatch, capsys):
    monkeypatch.setenv("CITY_TZ", "Europe/Berlin")
    _city(engine)
    assert main(["--database", db_url, "sla", "load",
                 str(_write(tmp_path, "sla.toml", BERLIN_FILE))]) == 0
    cases = berlin_cases()
    given = {i: created + timedelta(hours=5) for i, (created, _) in enumerate(cases) if i % 10 == 3}
    _open311(tmp_path / "city.json", cases, given)
    assert main(["--database", db_url, "import", str(tmp_path / "city.json")]) == 0
    cal = SteppedCalendar(BERLIN_FILE, BERLIN)
    dues = _dues(engine)
    for i, (created, code) in enumerate(cases):
        if i in given:  # expected_datetime wins over any rule
            assert dues[f"T-{i:03d}"] == (given[i], "given", None)
        else:
            hours, clock = RULES[code]
            assert dues[f"T-{i:03d}"] == (stepped_due(created, hours, clock, cal), clock, hours)

    # The overview's figures on this city, against the oracle over the stepped deadlines.
    frame = oracle.raw(engine)
    expected_due = {f"T-{i:03d}": given.get(i) or stepped_due(c, *RULES[code], cal)
                    for i, (c, code) in enumerate(cases)}
    frame["due_at"] = pd.to_datetime(frame["external_id"].map(expected_due), utc=True)
    seen = []
    for as_of in [berlin(10, day, hour, 30) for day in (5, 12, 21, 26) for hour in (9, 15)]:
        f = Filters(as_of=as_of, tz="Europe/Berlin")
        with engine.connect() as conn:
            got = counters(conn, f)
        want = oracle.counters(frame, as_of, "Europe/Berlin")
        assert (got.open, got.overdue, got.at_risk) == (
            want["open"], want["overdue"], want["at_risk"]), as_of
        seen.append((want["overdue"], want["at_risk"]))
    assert all(sum(column) for column in zip(*seen, strict=True))  # the figures have teeth


def test_recompute_changes_open_computed_deadlines_only(engine, db_url, tmp_path, monkeypatch,
                                                        capsys):
    monkeypatch.setenv("CITY_TZ", "Europe/Berlin")
    ids = _city(engine)
    cases = [(berlin(10, 9, 16, 30), "pothole"), (berlin(10, 9, 16, 30), "pothole"),
             (berlin(10, 2, 9, 0), "water_leak"), (berlin(10, 2, 9, 0), "water_leak"),
             (berlin(10, 3, 12, 0), "street_light")]
    _open311(tmp_path / "city.json", cases, {1: berlin(10, 20, 12, 0)})
    assert main(["--database", db_url, "import", str(tmp_path / "city.json")]) == 0
    before = _dues(engine)  # no rules yet: each category's own calendar hours
    assert before["T-000"] == (berlin(10, 12, 16, 30), "calendar", 72.0)
    with engine.begin() as conn:  # one leak is urgent; one pothole is closed
        conn.execute(update(tickets).where(tickets.c.external_id == "T-003").values(priority=1))
    extra = [(berlin(10, 9, 16, 30), "pothole")]
    _open311(tmp_path / "closed.json", extra, {})
    records = json.loads((tmp_path / "closed.json").read_text())
    records[0].update(service_request_id="T-CLOSED", status="closed",
                      updated_datetime=berlin(10, 10, 9, 0).isoformat())
    (tmp_path / "closed.json").write_text(json.dumps(records))
    assert main(["--database", db_url, "import", str(tmp_path / "closed.json")]) == 0
    closed_before = _dues(engine)["T-CLOSED"]

    rules = _write(tmp_path, "sla.toml", BERLIN_FILE)
    assert main(["--database", db_url, "sla", "load", str(rules), "--recompute"]) == 0
    assert "recomputed the due of 4 open tickets without a given deadline: 3 changed" \
        in capsys.readouterr().out
    after = _dues(engine)
    assert after["T-000"] == (berlin(10, 10, 17, 0), "working", 9.0)  # a working Saturday
    assert after["T-001"] == before["T-001"]  # given by the source
    assert after["T-002"] == (berlin(10, 3, 9, 0), "calendar", 24.0)
    assert after["T-003"] == (berlin(10, 2, 13, 0), "calendar", 4.0)  # the urgent rule
    assert after["T-004"] == before["T-004"]  # no rule: unchanged
    assert after["T-CLOSED"] == closed_before
    assert ids  # the categories the rules name exist


def test_a_bad_file_changes_nothing(engine, db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CITY_TZ", "Europe/Berlin")
    _city(engine)
    good = _write(tmp_path, "good.toml", BERLIN_FILE)
    assert main(["--database", db_url, "sla", "load", str(good)]) == 0
    with engine.connect() as conn:
        stored = (conn.execute(select(sla_calendar)).all(), conn.execute(select(sla_rules)).all())
    bad = _write(tmp_path, "bad.toml", BERLIN_FILE.replace('category = "Noise"',
                                                           'category = "Noize"'))
    capsys.readouterr()
    assert main(["--database", db_url, "sla", "load", str(bad), "--recompute"]) == 2
    err = capsys.readouterr().err
    assert err == f"{bad}: line 26: no category is called 'Noize'; the rules are unchanged\n"
    with engine.connect() as conn:
        assert (conn.execute(select(sla_calendar)).all(),
                conn.execute(select(sla_rules)).all()) == stored
    assert main(["--database", db_url, "sla", "load", str(tmp_path / "missing.toml")]) == 2
    assert "No such file or directory; the rules are unchanged" in capsys.readouterr().err


def test_show_prints_the_rules_in_force(engine, db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CITY_TZ", "Europe/Berlin")
    _city(engine)
    assert main(["--database", db_url, "sla", "show"]) == 0
    assert "no SLA rules loaded" in capsys.readouterr().out
    assert main(["--database", db_url, "sla", "load",
                 str(_write(tmp_path, "sla.toml", BERLIN_FILE))]) == 0
    capsys.readouterr()
    assert main(["--database", db_url, "sla", "show"]) == 0
    out = capsys.readouterr().out
    assert "wed 08:00-12:00,13:00-17:00" in out
    assert "working days (3): 2026-10-10 08:00-17:00, 2026-10-17 09:00-13:00, " \
           "2026-10-24 08:00-16:00" in out
    assert "  Water leak (urgent): 4 h calendar" in out
    assert "  Noise: 1.5 h working" in out


def _demo_rule(rules: list[dict], code: str, priority: int, own_hours: float) -> tuple[float, str]:
    """The demo file's rule for a category and priority, read from its text here."""
    names = {"urgent": 1, "high": 1, "normal": 2, "low": 3}
    mine = [r for r in rules if r["category"] == code]
    for rule in mine:
        if names.get(rule.get("priority")) == priority:
            return rule["hours"], rule["clock"]
    for rule in mine:
        if "priority" not in rule:
            return rule["hours"], rule["clock"]
    return own_hours, "calendar"


def test_the_seed_and_the_simulator_count_deadlines_by_the_demo_rules(engine):
    from demo.seed import load_demo_rules, seed
    from demo.simulate import Clock, load_city, tick

    now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    moscow = ZoneInfo("Europe/Moscow")
    assert load_demo_rules(engine, now)
    assert not load_demo_rules(engine, now)  # the city's own rules stay
    seed(engine, 300, 3, now, tz=moscow, progress=False, days=30)
    with engine.begin() as conn:
        city_now = load_city(conn, moscow)
    rng = np.random.default_rng(5)
    for k in range(20):
        tick(engine, city_now, rng, now + k * MINUTE, now + (k + 1) * MINUTE,
             Clock(now.timestamp(), 60.0))
    text = (ROOT / "db/data/sla_demo.toml").read_text()
    rules, cal = tomllib.loads(text)["rule"], SteppedCalendar(text, moscow)
    with engine.connect() as conn:
        rows = conn.execute(
            select(tickets.c.external_id, tickets.c.created_at, tickets.c.priority,
                   tickets.c.due_at, tickets.c.due_basis, categories.c.code,
                   categories.c.sla_hours)
            .join(categories, categories.c.id == tickets.c.category_id)
            .order_by(tickets.c.id)).all()
    simulated = [r for r in rows if r.external_id.startswith("SIM-")]
    assert simulated, "the simulator brought tickets"
    checked = rows[::10] + simulated
    for r in checked:
        hours, clock = _demo_rule(rules, r.code, r.priority, r.sla_hours)
        assert (r.due_at, r.due_basis) == (stepped_due(r.created_at, hours, clock, cal), clock), \
            r.external_id
    assert {r.due_basis for r in checked} == {"working", "calendar"}
