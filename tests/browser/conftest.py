"""A real dashboard server and a real Chromium, for the browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from access import users
from db import config
from db.config import ROOT
from db.engine import make_engine, migrate
from db.reference import find_department
from demo.seed import seed

CHROMIUM = config.value("CHROMIUM")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
# Screenshots go to tests/artifacts/ (ignored by git): a test run never rewrites tracked files.
# `make screenshots` points this at docs/screenshots/ to refresh the README's pictures.
SCREENSHOTS = ROOT / config.value("CITYDESK_SCREENSHOTS")
# Each dashboard server's output, kept for reading after a failure, beside them (not in /tmp).
LOGS = ROOT / "tests" / "artifacts" / "logs"

# A figure or element the tests expect may arrive with the next run: wait for it, up to this.
expect.set_options(timeout=30_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Who the browser tests sign in as; each server's database gets them (see Server).
PASSWORD = "browser-test-password"
USERS = (("dina", "dispatcher", None), ("oleg", "head", "ROADS"),
         ("irina", "leadership", None))


def add_users(url: str) -> None:
    """The test users, in a migrated database that does not have them yet (the head only where
    the city has a ROADS department)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        missing = [u for u in USERS if users.find_user(conn, u[0]) is None
                   and (u[2] is None or find_department(conn, u[2]) is not None)]
    for name, role, department in missing:
        users.add_user(engine, name, role, PASSWORD, department)
    engine.dispose()


class Server:
    """`streamlit run dashboard.py` on a free loopback port, with its own environment; its
    database gets the test users, and `open` signs in as one of them."""

    def __init__(self, env: dict[str, str]) -> None:
        add_users(env["DATABASE_URL"])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = open(LOGS / f"streamlit-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the dashboard did not start; see {self.log.name}")

    def open(self, page: Page, path: str = "/", user: str = "dina") -> None:
        """Go to `path` and sign in there as `user`, afresh (the browser forgets any earlier
        sign-in's cookie first); the sign-in then lands where the link pointed."""
        page.context.clear_cookies()
        page.goto(self.url + path)
        wait_idle(page)
        page.get_by_label("User name", exact=True).fill(user)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        try:
            page.get_by_text("Citydesk: sign in").wait_for(state="detached")
        except PlaywrightTimeout:
            said = page.locator('[data-testid="stAlert"]').all_inner_texts()
            raise AssertionError(f"signing in as {user} was refused: {said}") from None
        wait_idle(page)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """A demo city (30,000 tickets) whose present is the real now, so the page is live."""
    path = tmp_path_factory.mktemp("demo") / "citydesk.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    seed(engine, 30_000, 1563, datetime.now(UTC), progress=False, days=120)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def server(demo_db) -> Iterator[Server]:
    running = Server({"DATABASE_URL": demo_db, "CITY_TZ": "Europe/Moscow"})
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    opened = context.new_page()
    yield opened
    context.close()


IDLE = ('[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
        '[data-test-script-state="notRunning"]')


# Nothing is still to come: no element waits for its code, no first paint waits for the browser
WAITING = ("!document.querySelector('[data-testid=\"stSkeleton\"]')"
           " && !document.querySelector('[class*=\"st-key-painted_\"]')")


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Until Streamlit is connected, has finished its run, no skeleton is left, no first-paint
    watcher waits (a page's first run stops after its figures, and the browser asks for the
    next one: ui/first_paint.py, ui/lazy.py), and it is still so 300 ms later."""
    for _ in range(20):
        page.wait_for_selector(IDLE, timeout=timeout)
        page.wait_for_function(WAITING, timeout=timeout)
        page.wait_for_timeout(300)
        if page.locator(IDLE).count():
            return


def reach(page: Page, name: str) -> None:
    """Scroll to section `name` if it waits for the user (ui/lazy.py), until it is drawn."""
    holder = page.locator(f".st-key-waiting-{name}-0")
    if holder.count():
        holder.scroll_into_view_if_needed()
        holder.wait_for(state="detached", timeout=30_000)
        wait_idle(page)


GRID = '[data-testid="stDataFrame"]'
# The ticket table's grid (the overview's, the department's queue), not a grid in an incident's
# block or a card above it
TICKETS = '[class*="st-key-tickets_grid_"] [data-testid="stDataFrame"]'


def grid_rows(page: Page, headings: list[str], timeout: float = 30_000,
              grid: str = GRID) -> list[dict[str, str]]:
    """The rows of the first data grid (`grid`: its selector), each as {heading: cell} for
    `headings`, read at one instant. Its cells are drawn on a canvas, but the grid keeps an
    accessible table beside it, filled only once the grid is laid out on screen and only with
    the rows in sight: so scroll it into view (the overview's table at its foot is drawn only
    then) and wait for that table's rows before reading them all at once."""
    reach(page, "tickets")
    page.locator(grid).first.scroll_into_view_if_needed()
    page.wait_for_function("""grid => {
        const found = document.querySelector(grid);
        return found && found.querySelectorAll('table tbody tr').length > 0;
    }""", arg=grid, timeout=timeout)
    return page.evaluate("""([grid, headings]) => {
        const found = document.querySelector(grid);
        const heads = Array.from(found.querySelectorAll('table thead th'))
            .map(th => th.innerText.trim());
        const columns = headings.map(heading => {
            const column = heads.indexOf(heading);
            if (column < 0) throw new Error(`no column ${heading} in ${heads}`);
            return column;
        });
        return Array.from(found.querySelectorAll('table tbody tr')).map(tr =>
            Object.fromEntries(headings.map((heading, i) =>
                [heading, tr.children[columns[i]].innerText.trim()])));
    }""", [grid, headings])


def grid_column(page: Page, heading: str, timeout: float = 30_000, grid: str = GRID) -> list[str]:
    """The cells of one column of the first data grid in sight (see `grid_rows`)."""
    return [row[heading] for row in grid_rows(page, [heading], timeout, grid)]


# Every section in the window has come, every chart and grid in sight is drawn (one in a folded
# expander never is)
DRAWN = """() => [...document.querySelectorAll('[class*="st-key-waiting-"]')]
        .every(section => section.getBoundingClientRect().top > window.innerHeight)
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(chart => !chart.checkVisibility() || chart.querySelector('.main-svg'))
    && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
        .every(grid => !grid.checkVisibility() || grid.querySelector('table tbody tr'))"""


def shoot(page: Page, name: str, height: int | None = None) -> Path:
    """A screenshot for the README; `height` makes the viewport that tall first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if height:
        page.set_viewport_size({"width": 1920, "height": height})
        wait_idle(page)  # sections drawn when reached (ui/lazy.py) now come: wait for them too
        page.wait_for_function(DRAWN, timeout=30_000)
        page.wait_for_timeout(500)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def middle(page: Page, selector: str) -> tuple[float, float]:
    """The middle of the first element `selector` finds, in the window's pixels."""
    box = page.locator(selector).first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def clickable(page: Page, selector: str, box: dict) -> bool:
    """Whether the element's middle is inside the map `box`, clear of its edges and its zoom
    buttons, with nothing over it there (a click or a tap there reaches it)."""
    x, y = middle(page, selector)
    window = page.viewport_size or {"width": 0, "height": 0}
    if not (box["x"] + 20 < x < box["x"] + box["width"] - 60
            and box["y"] + 20 < y < box["y"] + box["height"] - 20
            and 0 < x < window["width"] and 0 < y < window["height"]):
        return False  # elementFromPoint sees nothing outside the window
    return page.locator(selector).evaluate(
        """(el, [x, y]) => {
            const root = el.getRootNode();
            return (root.elementFromPoint ? root : document).elementFromPoint(x, y) === el;
        }""", [x, y])
