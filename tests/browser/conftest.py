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
from playwright.sync_api import Browser, Page, sync_playwright

from db.config import ROOT
from db.engine import make_engine, migrate
from db.seed import seed

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
SCREENSHOTS = ROOT / "docs" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run dashboard.py` on a free loopback port, with its own environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(f"/tmp/citydesk-streamlit-{self.port}.log"), "w")  # noqa: SIM115
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


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Until Streamlit is connected, has finished its run, and no skeleton is left."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
        '[data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function("!document.querySelector('[data-testid=\"stSkeleton\"]')",
                           timeout=timeout)


def shoot(page: Page, name: str, height: int | None = None) -> Path:
    """A screenshot for the README; `height` makes the viewport that tall first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if height:
        page.set_viewport_size({"width": 1920, "height": height})
        wait_idle(page)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
