"""One deadline (docs/figures.md): at several instants of the demo city, every open ticket of a
department has the same due instant and the same time left in the queue, its card, the
drill-down list, both CSV exports and the counters, and they equal a count made here one
wall-clock minute at a time from the demo rules' file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine, select

from db.config import ROOT
from db.engine import make_engine
from db.schema import departments, tickets
from demo.seed import load_demo_rules, seed
from queries.counters import counters
from queries.filters import Filters
from queries.tickets import TicketQuery, queue, ticket_card, ticket_page
from queries.workload import workload
from tests.conftest import fresh_database
from tests.pages import app
from tests.test_sla import SteppedCalendar
from ui import export
from ui.widgets import at_risk_flags, overdue_flags
from words.formatting import time_left

NOW = datetime(2026, 12, 5, 7, 54, tzinfo=UTC)  # Saturday 10:54 in Moscow: the seed's present
MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
# Roads: potholes on 9 working hours, road surfaces on 40; water: leaks round the clock, no
# water on 9 working hours.
DEPARTMENTS = ("ROADS", "WATER")


def moscow(*args: int) -> datetime:
    return datetime(2026, *args, tzinfo=MOSCOW).astimezone(UTC)


INSTANTS = {  # name: (instant, the zone the city counts in)
    "weekday_working_hours": (moscow(11, 26, 12, 30), MOSCOW),
    "friday_evening": (moscow(11, 27, 18, 30), MOSCOW),
    "saturday": (moscow(11, 28, 11, 0), MOSCOW),
    "eve_of_a_holiday": (moscow(11, 3, 15, 30), MOSCOW),  # a short day: Unity Day is the 4th
    # Moscow keeps one offset; the same city counted in Berlin's zone crosses the autumn change
    # (Sunday 25 October, 03:00 → 02:00) between a Friday afternoon and its tickets' dues.
    "clock_change": (datetime(2026, 10, 23, 14, 0, tzinfo=BERLIN).astimezone(UTC), BERLIN),
}


@dataclass(frozen=True)
class City:
    engine: Engine
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(request, tmp_path_factory) -> Iterator[City]:
    """Fifty days of the demo city with its SLA rules, up to NOW; built once per database for
    the module, which only reads it."""
    with fresh_database(request, request.param, tmp_path_factory.mktemp("deadline"),
                        "city.db") as url:
        engine = make_engine(url)
        load_demo_rules(engine, NOW)
        seed(engine, 9000, 1563, NOW, tz=MOSCOW, progress=False, days=50)
        yield City(engine, url)
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# The independent count: raw rows, the rules' file read here, one minute at a time


@dataclass(frozen=True)
class Expected:
    due: datetime
    left_s: float  # working seconds before a working-hours due, clock seconds otherwise
    working: bool
    resumes: datetime | None  # where a working-hours clock stands still: when it starts again


def expected(engine: Engine, as_of: datetime, tz: ZoneInfo,
             dept: str) -> dict[str, Expected]:
    """Every ticket of `dept` open at `as_of`, by the figures' page, counted minute by minute."""
    cal = SteppedCalendar((ROOT / "db/data/sla_demo.toml").read_text(), tz)
    with engine.connect() as conn:
        rows = conn.execute(
            select(tickets.c.external_id, tickets.c.created_at, tickets.c.due_at,
                   tickets.c.due_basis, tickets.c.resolved_at, tickets.c.closed_at,
                   tickets.c.rejected_at)
            .join(departments, departments.c.id == tickets.c.department_id)
            .where(departments.c.code == dept)).all()
    open_ = [r for r in rows if r.created_at <= as_of and not any(
        v is not None and v <= as_of for v in (r.resolved_at, r.closed_at, r.rejected_at))]
    assert as_of.second == 0
    last = max(r.due_at for r in open_) + timedelta(minutes=1)
    minutes = int((last - as_of).total_seconds() // 60) + 1
    works = np.array([cal.works(as_of + timedelta(minutes=k)) for k in range(minutes)])
    worked = np.concatenate([[0], np.cumsum(works)]) * 60  # working seconds before minute k
    found = {}
    for r in open_:
        working = r.due_basis == "working"
        if working and r.due_at >= as_of:
            k, into = divmod(int((r.due_at - as_of).total_seconds()), 60)
            left = float(worked[k] + (into if works[k] else 0))
            stopped = not works[0] and left > 0
            resumes = as_of + timedelta(minutes=int(np.argmax(works))) if stopped else None
        else:
            left, resumes = (r.due_at - as_of).total_seconds(), None
        found[r.external_id] = Expected(r.due_at, left, working, resumes)
    return found


def left_words(e: Expected, tz: ZoneInfo, as_of: datetime) -> str:
    """The time left in English words, written here from the figures' page."""
    if not e.working or e.left_s < 0:
        return time_left(e.left_s, "en")
    h, m = divmod(int(e.left_s) // 60, 60)
    text = (f"{h} working h {m} min left" if h and m else f"{h} working h left" if h
            else f"{m} working min left")
    if e.resumes is not None:
        local = e.resumes.astimezone(tz)
        text += f" · clock stopped until {local:%a} {local.day} {local:%b %H:%M}"
    return text


def due_words(due: datetime, tz: ZoneInfo, as_of: datetime) -> str:
    local = due.astimezone(tz)
    year = "" if local.year == as_of.astimezone(tz).year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year} {local:%H:%M}"


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# ---------------------------------------------------------------------------------------------
# The test


@pytest.mark.parametrize("moment", list(INSTANTS))
def test_every_surface_gives_one_due_and_one_time_left(city, moment):
    as_of, tz = INSTANTS[moment]
    for dept in DEPARTMENTS:
        _one_department(city, as_of, tz, dept)


def _one_department(city: City, as_of: datetime, tz: ZoneInfo, dept: str) -> None:
    f = Filters(as_of=as_of, tz=tz.key, departments=(dept,))
    want = expected(city.engine, as_of, tz, dept)
    assert len(want) >= (20 if dept == "ROADS" else 1), "the department has work open then"
    with city.engine.connect() as conn:
        q = queue(conn, f)
        listed, total = ticket_page(conn, f, TicketQuery(subset="open", sort="due",
                                                         descending=False, page_size=5000))
        cards = {i: ticket_card(conn, i, f).fields for i in want}
        c = counters(conn, f)
        load = workload(conn, f).set_index("code").loc[dept]
    queue_csv = _csv(export.queue_csv(city.engine, f, "", "en", tz)())
    list_csv = _csv(export.tickets_csv(city.engine, f, TicketQuery(
        subset="open", sort="due", descending=False), "en", tz)())
    shown_queue = export.shown_columns(q, "en", tz, export.QUEUE_COLUMNS, as_of)
    shown_list = export.shown_columns(listed, "en", tz, export.TABLE_COLUMNS, as_of)

    assert sorted(q["external_id"]) == sorted(listed["external_id"]) == sorted(want)
    assert total == len(want) == c.open == load["open"]
    for frame, shown in ((q, shown_queue), (listed, shown_list)):
        for row, (_, words) in zip(frame.to_dict("records"), shown.iterrows(), strict=True):
            e = want[row["external_id"]]
            assert row["due_at"] == e.due, row["external_id"]
            assert row["left_s"] == e.left_s, (row["external_id"], row["left_s"], e.left_s)
            assert words["Time left"] == left_words(e, tz, as_of), row["external_id"]
            assert words["Due"] == due_words(e.due, tz, as_of), row["external_id"]
    for ticket, fields in cards.items():
        e = want[ticket]
        assert (fields["due_at"], fields["left_s"]) == (e.due, e.left_s), ticket
        assert fields["resumes_at"] == e.resumes, ticket
        assert fields["status"] in ("new", "in_progress"), ticket
    for rows in (queue_csv, list_csv):
        assert sorted(r["Ticket"] for r in rows) == sorted(want)
        for r in rows:
            e = want[r["Ticket"]]
            assert r["Time left"] == left_words(e, tz, as_of), r["Ticket"]
            assert r["Due"] == due_words(e.due, tz, as_of), r["Ticket"]
            assert float(r["Time left, hours (negative: overdue)"]) == round(e.left_s / 3600, 2)
    # Overdue and at risk are decided on the clock: the counters, the workload row and the
    # queue's marks count the same tickets.
    window = f.at_risk.total_seconds()
    late = sum((as_of - e.due).total_seconds() > 0 for e in want.values())
    risky = sum(0 <= (e.due - as_of).total_seconds() <= window for e in want.values())
    assert c.overdue == load["overdue"] == sum(overdue_flags(q)) == late
    assert c.at_risk == load["at_risk"] == sum(at_risk_flags(q, f)) == risky
    # Each CSV comes in its screen's order: the queue's (overdue first, then by due), the list's
    # "most overdue first".
    assert [r["Ticket"] for r in queue_csv] == list(q["external_id"])
    assert [r["Ticket"] for r in list_csv] == list(listed["external_id"])
    assert list(q["due_at"]) == sorted(e.due for e in want.values())


def test_the_saturday_queue_on_the_page_shows_the_due_and_why_the_clock_stands(city,
                                                                             monkeypatch):
    as_of, tz = INSTANTS["saturday"]
    f = Filters(as_of=as_of, tz=tz.key, departments=("ROADS",))
    want = expected(city.engine, as_of, tz, "ROADS")
    at = app(monkeypatch, city.url, dept="ROADS", as_of=as_of.isoformat())
    at.switch_page("screens/department.py").run()
    assert not at.exception
    shown = at.dataframe[0].value
    with city.engine.connect() as conn:
        q = queue(conn, f)
    assert list(shown["Ticket"]) == list(q["external_id"][:len(shown)])
    for ticket, left, due in zip(shown["Ticket"], shown["Time left"], shown["Due"], strict=True):
        assert left == left_words(want[ticket], tz, as_of)
        assert due == due_words(want[ticket].due, tz, as_of)
    assert any("clock stopped until Mon 30 Nov 08:00" in v for v in shown["Time left"])
