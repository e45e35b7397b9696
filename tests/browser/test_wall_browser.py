"""The live pages in Chromium at 1920×1080, on a PostgreSQL server of their own that the tests
stop and start. The meeting screen: its counters move while the simulator plays the city, with no
click; the banner comes when the database goes and leaves when it is back; screenshots for the
README. The overview: while it refreshes itself, the picked ticket, the filter and the scroll
stay where the user left them, and it too outlives an outage."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, text

from access import kiosk
from db.config import ROOT
from db.engine import make_engine, migrate
from demo.seed import seed
from devtools.pgserver import PgServer, start_server
from tests.browser.conftest import TICKETS, Server, grid_column, shoot, wait_idle

REFRESH = 5  # seconds: how often the wall's figures move in this test
WAIT = 60_000  # ms: the longest any change may take to reach the screen (several refreshes)
FIGURE = '[data-figure="{}"] .figure'
BANNER = '[role="alert"].wall-banner'


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    """A PostgreSQL server this module alone uses, so it can be stopped and started."""
    server = start_server()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def city_url(pg: PgServer) -> str:
    admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE wall"))
    admin.dispose()
    url = pg.url("wall")
    engine = make_engine(url)
    migrate(engine)
    seed(engine, 20_000, 1563, datetime.now(UTC), progress=False, days=60)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def token(city_url: str) -> str:
    """The situation room's kiosk token: the wall opens with it, and nothing else does."""
    engine = make_engine(city_url)
    _, issued = kiosk.issue(engine, "situation room")
    engine.dispose()
    return issued


@pytest.fixture(scope="module")
def wall_server(city_url: str) -> Iterator[Server]:
    running = Server({"DATABASE_URL": city_url, "CITY_TZ": "Europe/Moscow",
                      "CITYDESK_REFRESH_SECONDS": str(REFRESH), "CITYDESK_WALL_SECONDS": "8"})
    yield running
    running.stop()


def simulate(url: str, seconds: float, speed: float = 3000) -> subprocess.Popen:
    """`python -m db simulate` in the background, as scripts/run.sh starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "db", "--database", url, "simulate", "--speed", str(speed),
         "--duration", str(seconds), "--seed", "7"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def figure(page, key: str) -> str:
    return page.locator(FIGURE.format(key)).inner_text()


def as_of(page) -> str:
    return page.locator(".wall-asof").get_attribute("data-asof")


def wait_next_refresh(page) -> None:
    """Until the figures on screen are as of a later instant than now (no click, bounded)."""
    page.wait_for_function("([sel, was]) => { const e = document.querySelector(sel);"
                           " return e && e.dataset.asof !== was; }",
                           arg=[".wall-asof", as_of(page)], timeout=WAIT)


def wait_as_of_after(page, instant: datetime) -> None:
    """Until the figures on screen are as of `instant` or later: a refresh's "now" is floored to
    its interval, so the first refresh after an instant may still be as of before it."""
    page.wait_for_function("([sel, ms]) => { const e = document.querySelector(sel);"
                           " return e && Date.parse(e.dataset.asof) >= ms; }",
                           arg=[".wall-asof", instant.timestamp() * 1000], timeout=WAIT)
    wait_idle(page)  # the header is drawn first in a run, the figures by its end


def test_each_panel_reads_from_across_the_room(wall_server, city_url, token, page):
    player = simulate(city_url, seconds=120, speed=150)
    try:
        for panel in range(1, 5):
            page.goto(f"{wall_server.url}/?view=wall&panel={panel}&kiosk={token}")
            wait_idle(page)
            wait_next_refresh(page)  # a second refresh, so that what moved is marked
            wait_idle(page)
            if panel == 1:
                page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for()
            if panel == 3:
                page.locator(".chart .hour").first.wait_for()
            sizes = page.evaluate("""() => [...document.querySelectorAll(
                '.tile .value, .row .num, .row .name, .row .time')].map(
                e => parseFloat(getComputedStyle(e).fontSize))""")
            labels = page.evaluate("""() => [...document.querySelectorAll(
                '.tile .label, .row.head, .wall-asof')].map(
                e => parseFloat(getComputedStyle(e).fontSize))""")
            assert sizes and min(sizes) >= 40 and labels and min(labels) >= 28, (panel, sizes)
            background = page.evaluate(
                "() => getComputedStyle(document.querySelector('.stApp')).backgroundColor")
            assert background == "rgb(11, 15, 20)"
            assert page.locator(".wall-asof").inner_text().startswith("as of ")
            shoot(page, f"wall-{panel}")
    finally:
        player.terminate()
        player.wait(30)


def test_counters_move_with_the_city_and_outlive_an_outage(wall_server, city_url, pg, token,
                                                           page):
    page.goto(f"{wall_server.url}/?view=wall&panel=1&kiosk={token}")
    wait_idle(page)
    received = figure(page, "received_today")
    assert page.locator('[data-testid="stSidebar"]').is_hidden()
    assert page.locator('[data-testid="stHeader"]').is_hidden()

    player = simulate(city_url, seconds=8)
    page.wait_for_function(
        "([sel, was]) => { const e = document.querySelector(sel);"
        " return e && e.innerText !== was; }",
        arg=[FIGURE.format("received_today"), received], timeout=WAIT)
    assert player.wait(60) == 0
    done = datetime.now(UTC)
    assert page.locator(".tile.changed").count() > 0, "what moved is marked"

    wait_as_of_after(page, done)  # the city is still now: the figures hold its last ticket
    shown = {key: figure(page, key) for key in ("open", "overdue", "received_today")}
    pg.stop()
    try:
        banner = page.locator(BANNER)
        banner.wait_for(timeout=WAIT)
        assert "database unreachable" in banner.inner_text()
        assert {key: figure(page, key) for key in shown} == shown, "the last figures stay"
    finally:
        pg.start()
    page.locator(BANNER).wait_for(state="detached", timeout=WAIT)
    wait_next_refresh(page)
    assert figure(page, "received_today") == shown["received_today"]
    assert page.locator('[data-testid="stException"]').count() == 0


def test_panels_take_turns_on_their_own(wall_server, token, page):
    page.goto(f"{wall_server.url}/?view=wall&kiosk={token}")
    wait_idle(page)
    first = page.locator(".wall-title").inner_text()
    page.wait_for_function(
        "was => { const e = document.querySelector('.wall-title');"
        " return e && e.innerText !== was; }", arg=first, timeout=WAIT)
    assert page.locator(".wall-dots span.on").count() == 1


CARD = "() => [...document.querySelectorAll('h3')].map(e => e.innerText)" \
       ".find(t => /^Ticket \\S+$/.test(t)) || null"
CAPTION = "Figures as of"


def overview_as_of(page) -> str:
    return page.get_by_text(CAPTION).first.inner_text()


def wait_overview_refresh(page) -> None:
    page.wait_for_function(
        "was => [...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
        ".some(e => e.innerText.startsWith('Figures as of') && e.innerText !== was)",
        arg=overview_as_of(page), timeout=WAIT)


def test_overview_stays_put_while_it_refreshes(wall_server, city_url, pg, page):
    wall_server.open(page, "/?district=centre")
    # the ticket table (an incident's block, above it, has a grid too)
    grid = page.locator(TICKETS).first
    grid_column(page, "Ticket", grid=TICKETS)  # laid out on screen: its rows take clicks
    for _ in range(3):  # a click while a refresh redraws the grid may be lost: click again
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * 2 + 17)  # the third row's picker
        wait_idle(page)
        try:
            page.wait_for_function(CARD, timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    page.wait_for_function(CARD, timeout=WAIT)
    picked = page.evaluate(CARD)
    page.mouse.wheel(0, 200)
    wait_idle(page)
    seen = grid.bounding_box()["y"]  # where the user sees the table

    player = simulate(city_url, seconds=40, speed=600)  # new tickets push the rows down
    try:
        for _ in range(3):
            wait_overview_refresh(page)
    finally:
        player.terminate()
        player.wait(30)
    wait_idle(page)
    assert page.evaluate(CARD) == picked, "the card stays on the ticket the user picked"
    # what the user looks at stays where it was on the screen (what changed above it, say an
    # incident's block, may move the scroll offset: the browser keeps the table in place)
    assert abs(grid.bounding_box()["y"] - seen) <= 2, (seen, grid.bounding_box()["y"])
    tags = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelectTagsContainer"]')
    assert "City Centre" in tags.all_inner_texts(), "the filter stays"

    pg.stop()
    try:
        page.get_by_text("Database unreachable: showing data from").wait_for(timeout=WAIT)
        assert page.locator('[data-testid="stMetric"]').count() >= 8, "the last figures stay"
    finally:
        pg.start()
    page.get_by_text("Database unreachable").wait_for(state="detached", timeout=WAIT)
    wait_overview_refresh(page)
    assert page.locator('[data-testid="stException"]').count() == 0
