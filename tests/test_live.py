"""Live refresh: many open screens cost about one screen's queries per interval, and a write is
seen at once. Counted as SQL statements on the page layer's engine, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
import streamlit as st
from sqlalchemy import event, select
from streamlit.testing.v1 import AppTest

from access.permissions import Actor
from db.config import ROOT
from db.schema import departments, tickets
from desk.actions import reassign
from queries.counters import counters
from queries.filters import Filters
from queries.workload import workload
from tests.cities import seed
from ui import data, lazy
from ui.actor import SESSION_KEY

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SESSIONS = 20
LEADER = Actor("lena", "leadership")


class Statements:
    """Counts the SQL statements an engine executes."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, *_args) -> None:
        self.n += 1

    def take(self) -> int:
        n, self.n = self.n, 0
        return n


@pytest.fixture
def counted(engine, db_url, monkeypatch) -> Iterator[Statements]:
    """A seeded city, the pages' caches empty, "now" held at NOW, statements counted."""
    seed(engine, 3000, 5, NOW, progress=False, days=20)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CITY_TZ", "Europe/Moscow")
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW)
    st.cache_data.clear()
    st.cache_resource.clear()
    statements = Statements()
    page_engine = data.engine()  # created (and its schema checked) before counting starts
    event.listen(page_engine, "before_cursor_execute", statements)
    yield statements
    event.remove(page_engine, "before_cursor_execute", statements)
    page_engine.dispose()
    st.cache_resource.clear()


def session() -> AppTest:
    """One browser tab on the overview, signed in."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state[SESSION_KEY] = LEADER
    at.session_state[lazy.flag("tickets")] = True  # scrolled to the table at the foot
    return at


def run_all(screens: list[AppTest]) -> None:
    """Every screen refreshes in the same interval. (AppTest keeps one runtime per process, so
    the runs are one after another here; `test_screens_asking_at_once_share_one_computation`
    covers the same instant.)"""
    for at in screens:
        at.run()
        assert not at.exception


def test_many_screens_cost_one_screens_queries_per_interval(counted, monkeypatch):
    one = session()
    one.run()
    alone = counted.take()
    assert alone > 5, "the overview reads its figures from the database"

    screens = [session() for _ in range(SESSIONS)]
    run_all(screens)
    assert counted.take() == 0, "the same interval: every screen is served from the cache"

    # The next interval: all twenty refresh together; the first to ask pays for everyone.
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW + timedelta(seconds=30))
    run_all(screens)
    together = counted.take()
    assert together == alone - _reference_statements(), (together, alone)
    assert {m.value for at in screens for m in at.metric if m.label == "Open"} \
        == {next(m.value for m in one.metric if m.label == "Open")}


def test_screens_asking_at_once_share_one_computation(counted):
    """Twenty screens ask the same figures at the same instant: one computes, the others wait
    for its answer (the cache locks each key while computing)."""
    f = Filters(as_of=NOW, tz="Europe/Moscow")
    with data.engine().connect() as conn:
        counters(conn, f)
        workload(conn, f)
    once = counted.take()
    start = Barrier(SESSIONS)

    def screen(_: int) -> tuple:
        start.wait()
        return data.load_counters(f), len(data.load_workload(f))

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        answers = list(pool.map(screen, range(SESSIONS)))
    assert counted.take() == once
    assert len(set(answers)) == 1


def _reference_statements() -> int:
    """Statements of the lookup tables, which a later interval still has cached (they are not
    keyed by "now"): the four lists and whether there are tickets."""
    return 5


def test_a_write_is_seen_at_once(counted, engine):
    first = session()
    first.run()
    counted.take()
    with engine.connect() as conn:
        newest = conn.execute(
            select(tickets.c.external_id, departments.c.code)
            .join(departments, departments.c.id == tickets.c.department_id)
            .where(tickets.c.ended_at.is_(None), tickets.c.created_at <= NOW)
            .order_by(tickets.c.created_at.desc(), tickets.c.id.desc()).limit(1)
        ).one()
    target = "WATER" if newest.code != "WATER" else "ROADS"
    assert reassign(engine, [newest.external_id], target, "wrong service", LEADER, now=NOW).ok

    stale = session()
    stale.run()
    assert counted.take() == 0
    assert _first_row_department(stale) != _department_name(engine, target)

    data.clear_after_write()
    fresh = session()
    fresh.run()
    assert counted.take() > 0
    assert _first_row_department(fresh) == _department_name(engine, target)


def _first_row_department(at: AppTest) -> str:
    """The department of the newest ticket in the overview's table (sorted newest first)."""
    return at.dataframe[0].value.iloc[0]["Department"]


def _department_name(engine, code: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(departments.c.name)
                            .where(departments.c.code == code)).scalar_one()
