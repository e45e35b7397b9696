"""`python -m bench --browser`: how long the pages take in a real browser, beside an empty
Streamlit page measured in the same run.

Chromium through Playwright (headless, as the browser tests run it) against a dashboard server on
loopback over the benchmark's SQLite city of 100,000 tickets (a copy, so the cached one is left as
built). For each page, in a fresh tab each run: the time to its first figures (the first counter
on screen) and to a settled page (script idle, then no DOM change and no long task for 0.7 s),
and what the browser's main thread spent the time on (Chrome's own counters through CDP: script,
layout, style). Then each click's time to its answer drawn (the script idle and the page quiet
again): the overview's list and filter, the department's tick, the language switch. Medians over
the runs, each beside the empty page's figure and as a ratio of it.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from tqdm import tqdm

from access import sessions, users
from bench.cases import DEPARTMENT
from bench.databases import NOW, sqlite_database, sqlite_path
from db.config import ROOT, value
from db.engine import make_engine

CHROMIUM = value("CHROMIUM")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
VIEWPORT = {"width": 1920, "height": 1080}
QUIET_MS = 700  # a page is settled when nothing has changed for this long
LIMIT_MS = 60_000  # the longest a page may take to show its first figures
SETTLE_MS = 30_000  # the longest a page or a click may take to settle: past it, no figure
AS_OF = NOW.isoformat()
EMPTY_APP = 'import streamlit as st\n\nst.write("Citydesk benchmark: an empty page")\n'

# Records, in the page, when the first figure appeared and when anything last changed.
WATCH = """(() => {
  const b = window.__bench = {first: null, last: 0, longs: 0, longEnd: 0, sel: %r};
  new PerformanceObserver(list => { for (const e of list.getEntries()) {
    b.longs += e.duration; b.longEnd = Math.max(b.longEnd, e.startTime + e.duration); } })
    .observe({type: 'longtask', buffered: true});
  const seen = () => { const t = performance.now(); b.last = t;
    if (b.first === null && document.querySelector(b.sel)) b.first = t; };
  new MutationObserver(seen).observe(document, {subtree: true, childList: true,
                                                characterData: true, attributes: true});
})();"""
IDLE = ('[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
        '[data-test-script-state="notRunning"]')


@dataclass(frozen=True)
class Target:
    """A page to open: its path and the selector of its first figure."""

    name: str
    path: str
    figure: str


TARGETS = [
    Target("empty Streamlit page", "/", '[data-testid="stMarkdownContainer"] p'),
    Target("overview", f"/?as_of={AS_OF}", '[data-testid="stMetricValue"]'),
    Target("department", f"/department?dept={DEPARTMENT}&as_of={AS_OF}",
           '[data-testid="stMetricValue"]'),
    Target("meeting screen", "/?view=wall&panel=1&refresh=off", ".tile .figure"),
]


@dataclass
class Samples:
    """Every measured run of one thing, in ms."""

    values: dict[str, list[float]] = field(default_factory=dict)
    missed: dict[str, int] = field(default_factory=dict)  # tabs with no figure in LIMIT_MS

    def add(self, key: str, value: float | None) -> None:
        if value is not None:
            self.values.setdefault(key, []).append(value)

    def median(self, key: str) -> float | None:
        got = self.values.get(key)
        return statistics.median(got) if got else None


class Streamlit:
    """`streamlit run SCRIPT` on a free loopback port, stopped by `stop`."""

    def __init__(self, script: Path, env: dict[str, str]) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port",
             str(self.port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _settle(page: Page, since: float) -> float:
    """Wait until the script is idle, no first paint waits for its next run (ui/first_paint.py)
    and the page has been quiet for QUIET_MS; the instant
    (performance.now) of its last change, in ms after `since`."""
    page.wait_for_selector(IDLE, timeout=SETTLE_MS)
    page.wait_for_function(
        "q => { const b = window.__bench, now = performance.now();"
        " return !document.querySelector('[data-testid=\"stSkeleton\"]')"
        " && !document.querySelector('[class*=\"st-key-painted_\"]')"
        " && now - Math.max(b.last, b.longEnd) >= q; }", arg=QUIET_MS, timeout=SETTLE_MS,
        polling=100)
    last = page.evaluate("() => Math.max(window.__bench.last, window.__bench.longEnd)")
    return last - since


def _click(page: Page, action: Callable[[Page], None]) -> float | None:
    """The time from a click until its answer is drawn and the page is quiet again."""
    try:
        page.wait_for_selector(IDLE, timeout=SETTLE_MS)
        start = page.evaluate("() => performance.now()")
        action(page)
        page.wait_for_timeout(50)  # the click reaches the server; the script starts running
        return _settle(page, start)
    except PlaywrightError:  # a control the page does not have (yet): no figure for it
        return None


def _pick_district(page: Page) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').nth(1)
    box.click()
    # the list opens with Streamlit's "Select all": pick the first district itself
    page.locator('[role="option"]').filter(has_not_text="Select all").first.click(timeout=5_000)
    page.keyboard.press("Escape")


def _switch_language(page: Page) -> None:
    page.locator(".st-key-lang [data-testid='stSelectbox']").click(timeout=5_000)
    page.locator('[role="option"]', has_text="Русский").click(timeout=5_000)


def _list(page: Page) -> None:
    page.get_by_role("button", name="List").first.click(timeout=5_000)


def _tick(page: Page) -> None:
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed(timeout=5_000)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's picker


CLICKS = {
    "overview": [("list under a counter", _list), ("filter: a district", _pick_district),
                 ("language switch", _switch_language)],
    "department": [("tick a ticket", _tick), ("language switch", _switch_language)],
}


def _open(browser: Browser, base: str, target: Target, cookie: str | None,
          samples: Samples, clicks: bool = True) -> None:
    """One fresh tab of `target`: its first figures, settled page, main-thread time, clicks."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    if cookie:
        context.add_cookies([{"name": "citydesk_session", "value": cookie, "url": base}])
    context.add_init_script(WATCH % target.figure)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    try:
        try:
            page.goto(base + target.path, wait_until="commit", timeout=LIMIT_MS)
            page.wait_for_function("() => window.__bench && window.__bench.first !== null",
                                   timeout=LIMIT_MS, polling=50)
        except PlaywrightError:
            samples.missed[target.name] = samples.missed.get(target.name, 0) + 1
            return
        samples.add(f"{target.name}|first figures", page.evaluate("() => window.__bench.first"))
        try:
            samples.add(f"{target.name}|settled", _settle(page, 0.0))
        except PlaywrightError:
            return  # never quiet for QUIET_MS within SETTLE_MS: no settled figure this run
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        for key, name in (("ScriptDuration", "script"), ("LayoutDuration", "layout"),
                          ("RecalcStyleDuration", "style"), ("TaskDuration", "all tasks")):
            samples.add(f"{target.name}|main thread: {name}", metrics.get(key, 0) * 1000)
        samples.add(f"{target.name}|long tasks", page.evaluate("() => window.__bench.longs"))
        for label, action in CLICKS.get(target.name, []) if clicks else []:
            samples.add(f"{target.name}|click: {label}", _click(page, action))
    finally:
        context.close()


def _signed_in_copy(work: Path) -> tuple[str, str]:
    """A copy of the benchmark's SQLite city with a leadership user, and that user's session
    token (the cookie the browser sends, as after a sign-in)."""
    source = sqlite_path(sqlite_database(100_000))
    copy = work / "city.db"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    try:
        user = users.add_user(engine, "bench.browser", "leadership", "bench-browser-password")
        token = sessions.start(engine, user.id)
    finally:
        engine.dispose()
    return url, token


def run(runs: int) -> str:
    """Measure every target `runs` times (round-robin, so a burst of another process's load
    falls on all of them alike) and return the Markdown table."""
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="citydesk-bench-browser-") as tmp:
        work = Path(tmp)
        url, token = _signed_in_copy(work)
        (work / "empty.py").write_text(EMPTY_APP)
        env = {"DATABASE_URL": url, "CITY_TZ": "Europe/Moscow", "CITYDESK_LANG": "en"}
        servers = {"empty": Streamlit(work / "empty.py", {}),
                   "app": Streamlit(ROOT / "dashboard.py", env)}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=CHROMIUM_ARGS)
                try:
                    for target in TARGETS:  # a first, untimed visit warms the server's caches
                        _open(browser, *_where(servers, target, token), Samples(), clicks=False)
                    steps = [(k, target) for k in range(runs) for target in TARGETS]
                    for _, target in tqdm(steps, desc="browser", unit="tab"):
                        _open(browser, *_where(servers, target, token), samples)
                finally:
                    browser.close()
        finally:
            for server in servers.values():
                server.stop()
    return table(samples, runs)


def _where(servers: dict[str, Streamlit], target: Target, token: str):
    if target.name == TARGETS[0].name:
        return servers["empty"].url, target, None
    return servers["app"].url, target, token


def table(samples: Samples, runs: int) -> str:
    """Medians in ms, and the ratio to the empty page's first figures or settled page."""
    empty = TARGETS[0].name
    base = {"first figures": samples.median(f"{empty}|first figures"),
            "settled": samples.median(f"{empty}|settled")}
    lines = [f"Chromium {_version()}, headless, 1920×1080, {runs} fresh tabs of each page; "
             "SQLite, 100,000 tickets. Medians, ms; ratio: to the empty page's same figure "
             "(clicks: to the empty page's settled time).",
             "", "| page | measured | median, ms | empty page, ms | ratio |",
             "|---|---|---|---|---|"]
    for key in samples.values:
        page, what = key.split("|")
        value = samples.median(key)
        against = base.get(what) if not what.startswith("click") else base["settled"]
        if what.startswith(("main thread", "long tasks")) or page == empty:
            against = samples.median(f"{empty}|{what}") if page != empty else None
        ratio = f"{value / against:.1f}×" if value is not None and against else ""
        lines.append(f"| {page} | {what} | {value:,.0f} | "
                     f"{'' if against is None else f'{against:,.0f}'} | {ratio} |")
    lines += [f"\n{page}: {n} of {runs} tabs showed no figure within {LIMIT_MS // 1000} s."
              for page, n in samples.missed.items()]
    return "\n".join(lines)


def _version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.split()[1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"
