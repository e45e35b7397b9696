"""The meeting screen through AppTest: each panel shows the right figures, changes are marked,
panels rotate, and a dead database gives the wall's banner, never a traceback."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from devtools import oracle
from queries.counters import counters
from queries.filters import Filters
from queries.tickets import latest
from queries.workload import workload
from tests.cities import seed
from tests.factory import add_ticket
from tests.pages import app
from ui import data, wall_panels
from words.formatting import number, percent

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # 12:30:00 in Moscow
LATER = NOW + timedelta(seconds=30)


@pytest.fixture
def city(engine, monkeypatch):
    seed(engine, 3000, 5, NOW, progress=False, days=20)
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW)
    return engine


def markup(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def tiles(at) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)".*?<span class="figure">([^<]*)</span>',
                           markup(at)))


def test_wall_opens_with_the_citys_counters_and_the_time(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="1")
    at.run()
    assert not at.exception
    with city.connect() as conn:
        c = counters(conn, Filters(as_of=NOW))
    assert tiles(at) == {"open": number(c.open, "en"), "overdue": number(c.overdue, "en"),
                         "at_risk": number(c.at_risk, "en"),
                         "on_time": percent(c.on_time_pct_7d, "en"),
                         "received_today": number(c.received_today, "en"),
                         "resolved_today": number(c.resolved_today, "en")}
    assert "as of 12:30:00" in markup(at) and "Thursday, 26 November 2026" in markup(at)
    assert "The city now" in markup(at)
    assert at.get("deck_gl_json_chart"), "the map is beside the counters"


def test_departments_panel_ranks_by_overdue(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="2")
    at.run()
    assert not at.exception
    with city.connect() as conn:
        load = workload(conn, Filters(as_of=NOW))
    shown = re.findall(r'data-dept="(\w+)"', markup(at))
    needing = [r for r in load.to_dict("records") if r["overdue"] or r["at_risk"]]
    needing.sort(key=lambda r: (-r["overdue"], -r["at_risk"], -r["open"]))
    assert shown == [r["code"] for r in needing][:10]
    assert len(shown) < len(load[load["open"] > 0]), "departments with nothing late are left out"
    assert load["overdue"].max() > 0


def test_flow_panel_charts_the_last_24_hours(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="3")
    at.run()
    assert not at.exception
    assert "The last 24 hours" in markup(at)
    frame = oracle.raw(city)
    day = (NOW - timedelta(hours=24), NOW)

    def within(column: str) -> int:
        return int(((frame[column] > day[0]) & (frame[column] <= day[1])).sum())

    with city.connect() as conn:
        c = counters(conn, Filters(as_of=NOW))
    assert tiles(at) == {"received_24h": number(within("created_at"), "en"),
                         "resolved_24h": number(within("resolved_at"), "en"),
                         "open": number(c.open, "en")}
    assert 'data-hours="25"' in markup(at) and not at.get("plotly_chart")


def test_latest_panel_lists_the_newest_tickets_first(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="4")
    at.run()
    assert not at.exception
    with city.connect() as conn:
        newest = latest(conn, Filters(as_of=NOW), 10)["external_id"].tolist()
    assert re.findall(r'data-ticket="([\w-]+)"', markup(at)) == newest


def test_a_figure_that_moved_since_the_last_refresh_is_marked(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="1")
    at.run()
    assert "tile changed" not in markup(at)
    add_ticket(city, NOW + timedelta(seconds=10), department="ROADS")
    add_ticket(city, NOW + timedelta(seconds=20), department="ROADS")
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: LATER)
    at.run()
    assert not at.exception
    page = markup(at)
    assert re.search(r'tile changed neutral" data-figure="received_today".*?▲ \+2', page)
    assert re.search(r'tile changed bad" data-figure="open".*?mark bad">▲ \+2', page)
    assert 'tile" data-figure="resolved_today"' in page, "what did not move is not marked"
    at.run()  # a rerun within the same refresh keeps the marks
    assert "▲ +2" in markup(at)


def test_new_tickets_are_marked_on_the_ticker(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="4")
    at.run()
    assert ">just in<" not in markup(at)
    fresh = add_ticket(city, NOW + timedelta(seconds=5))
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: LATER)
    at.run()
    assert re.search(rf'row changed neutral" data-ticket="{fresh}".*?>just in<', markup(at))
    assert markup(at).count(">just in<") == 1


def test_panels_take_turns(city, db_url, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(wall_panels.time, "monotonic", lambda: clock[0])
    monkeypatch.setenv("CITYDESK_WALL_SECONDS", "20")
    at = app(monkeypatch, db_url, view="wall")
    titles = []
    for turn in range(5):
        clock[0] += 20 if turn else 0
        at.run()
        titles.append(re.search(r'class="wall-title">([^<]+)<', markup(at)).group(1))
    assert titles == ["The city now", "Departments by overdue tickets", "The last 24 hours",
                      "Latest tickets", "The city now"]
    clock[0] += 5
    at.run()  # a data refresh between two turns keeps the panel
    assert "Departments by overdue tickets" not in markup(at)
    assert "The city now" in markup(at)


def test_wall_in_russian(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="1", lang="ru")
    at.run()
    assert not at.exception
    assert "Город сейчас" in markup(at) and "на 12:30:00" in markup(at)
    assert "Открыто" in markup(at)


def test_paused_wall_says_so(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="1", refresh="off")
    at.run()
    assert not at.exception
    assert "paused" in markup(at)


def test_unreachable_database_gives_the_walls_banner(monkeypatch):
    at = app(monkeypatch, "postgresql+psycopg2://nobody@127.0.0.1:9/none", view="wall")
    at.run()
    assert not at.exception
    assert "Database unreachable · nothing to show yet" in markup(at)


def test_wall_keeps_its_figures_through_an_outage(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="1")
    at.run()
    before = tiles(at)

    def unreachable(*_args):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(data, "_read", unreachable)
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: LATER)
    at.run()
    assert not at.exception
    assert tiles(at) == before
    assert re.search(r"Data from \d\d:\d\d · database unreachable", markup(at))
    monkeypatch.undo()
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: LATER)
    monkeypatch.setenv("DATABASE_URL", db_url)
    at.run()
    assert "database unreachable" not in markup(at)
    assert "as of 12:30:30" in markup(at)
