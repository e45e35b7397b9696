"""The overview in Chromium: counters on screen equal the summary; a department drills down."""

import re
from datetime import UTC, datetime, timedelta

from babel.dates import format_date
from playwright.sync_api import expect
from sqlalchemy import create_engine

from db.config import city_tz
from queries.filters import Filters
from queries.summary import summary
from tests.browser.conftest import TICKETS, grid_column, shoot, wait_idle
from ui import workload
from words.formatting import number

AS_OF = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0).isoformat()


def _counters(page) -> dict[str, str]:
    out = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def test_counters_on_screen_equal_the_summary(server, demo_db, page):
    server.open(page, f"/?as_of={AS_OF.replace('+', '%2B')}")
    shown = _counters(page)
    as_of = datetime.fromisoformat(AS_OF)
    with create_engine(demo_db).connect() as conn:
        s = summary(conn, Filters(as_of=as_of, tz=city_tz().key))
    day = format_date(as_of.astimezone(city_tz()).date(), "d MMM", locale="en")
    for label, key in (("Open", "open"), ("Overdue", "overdue"), ("At risk", "at_risk"),
                       (f"Received on {day}", "received_today"),  # a past view names its day
                       (f"Resolved on {day}", "resolved_today")):
        assert shown[label] == number(s[key], "en"), label
    assert s["open"] > 0


def test_live_overview_drills_down_from_a_department(server, page):
    server.open(page)
    shoot(page, "overview", height=2300)
    page.set_viewport_size({"width": 1920, "height": 1080})
    # the top row: the department that needs attention most
    top = page.locator(f".st-key-{workload.KEY}0").get_by_role("button")
    top.scroll_into_view_if_needed()
    top.click()
    wait_idle(page)
    caption = page.get_by_text(re.compile(r"^Drill-down: ")).first
    caption.wait_for(timeout=30_000)
    assert "drill_dept=" in page.url
    name = caption.inner_text().removeprefix("Drill-down: ").strip()
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    expect(grid).to_be_visible()
    shoot(page, "overview-drill-down")
    assert name


def test_the_trends_are_drawn_when_the_user_scrolls_to_them(server, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    server.open(page, "/", user="irina")
    wait_idle(page)
    waiting = page.locator(".st-key-waiting-trends-0")
    expect(waiting).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(0)  # not loaded yet
    waiting.scroll_into_view_if_needed()
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for(timeout=30_000)
    wait_idle(page)
    expect(waiting).to_have_count(0)
    box = chart.bounding_box()
    assert box["y"] < 768 and box["y"] + box["height"] > 0, box  # drawn where the user is


def test_the_table_at_the_foot_is_drawn_when_the_user_scrolls_to_it(server, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    server.open(page, "/", user="irina")
    wait_idle(page)
    expect(page.locator(TICKETS)).to_have_count(0)  # not loaded yet
    waiting = page.locator(".st-key-waiting-tickets-0")
    waiting.scroll_into_view_if_needed()
    grid = page.locator(TICKETS).first
    grid.wait_for(timeout=30_000)
    wait_idle(page)
    expect(waiting).to_have_count(0)
    grid.scroll_into_view_if_needed()
    assert grid_column(page, "Ticket", grid=TICKETS)  # laid out, its rows filled
    box = grid.bounding_box()
    assert box["y"] < 768 and box["y"] + box["height"] > 0, box


def test_the_first_screen_at_1366_names_the_services_behind_on_a_quiet_day(server, page):
    """No incident above them: the counters and the five services furthest behind, one line,
    inside 1366×768 (with an incident: test_overview_incident_browser.py)."""
    page.set_viewport_size({"width": 1366, "height": 768})
    server.open(page, "/", user="irina")
    page.locator(".st-key-behind").wait_for()
    wait_idle(page)
    buttons = page.locator(".st-key-behind button >> visible=true")
    shown = buttons.count()  # up to five: how many are behind depends on the hour it runs
    assert 1 <= shown <= workload.BEHIND
    boxes = [buttons.nth(k).bounding_box() for k in range(shown)]
    boxes += [t.bounding_box() for t in page.locator('[class*="st-key-kpi-"]').all()]
    assert all(b["y"] + b["height"] <= 768 for b in boxes), boxes
    buttons.nth(0).click()  # it lists its department's tickets, in view
    wait_idle(page)
    expect(page).to_have_url(re.compile("drill_dept="))
    panel = page.locator(".st-key-drill-panel").bounding_box()
    assert panel and 0 <= panel["y"] < 768, panel
