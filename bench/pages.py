"""Server-side renders of each page through AppTest, and 50 sessions in one refresh interval.

Run as its own process (`python -m bench.pages URL TICKET`, JSON on stdout), so that its memory
is a dashboard server's alone and its Streamlit caches start empty.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import asdict

import streamlit as st
from sqlalchemy import Engine, event
from streamlit.testing.v1 import AppTest
from tqdm import tqdm

from access.permissions import Actor
from bench.cases import DEPARTMENT
from bench.databases import NOW
from bench.timing import Timing, clock
from db.config import ROOT
from ui.actor import SESSION_KEY

VIEWER = Actor("benchmark", "leadership")  # leadership gets every page

PAGES = {  # name: (page file, URL query parameters)
    "overview": ("screens/overview.py", {"as_of": NOW.isoformat()}),
    "department": ("screens/department.py", {"as_of": NOW.isoformat(), "dept": DEPARTMENT}),
    "ticket": ("screens/ticket.py", {}),
    "wall": ("screens/wall.py", {"view": "wall", "panel": "1"}),  # the city panel, live
}
WITH_COUNTERS = ("overview", "department")  # pages that must show st.metric figures


class Statements:
    """Counts SQL statements sent by every engine in this process."""

    def __init__(self) -> None:
        self.count = 0
        event.listen(Engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1


def _session(page: str, ticket: str) -> AppTest:
    path, params = PAGES[page]
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    for key, value in {**params, **({"id": ticket} if page == "ticket" else {})}.items():
        at.query_params[key] = value
    at.session_state[SESSION_KEY] = VIEWER  # signed in, as the sign-in gate leaves it
    at.switch_page(path)
    return at


def _cold() -> None:
    """As a freshly started server: no cached results and no engine."""
    st.cache_data.clear()
    st.cache_resource.clear()


def _run(at: AppTest, figures: bool = False) -> None:
    at.run()
    if at.exception:
        raise RuntimeError(f"the page failed: {at.exception[0].message}")
    if figures and not at.metric:
        raise RuntimeError("the page drew no figures: measuring it would measure nothing")


def _memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak) of this process, from /proc: unlike getrusage's peak,
    these start afresh at exec and so exclude the parent's memory."""
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith(f"{field}:"))
    return kb / 1024


def measure(ticket: str, runs: int, sessions: int) -> dict:
    statements = Statements()
    out: dict = {"pages": {}}
    for page in PAGES:
        first, warm, first_sql, warm_sql = [], [], 0, 0
        for _ in tqdm(range(runs), desc=f"  {page}: render", unit="render", file=sys.stderr):
            _cold()
            at = _session(page, ticket)
            before = statements.count
            first.append(clock(lambda at=at, fig=page in WITH_COUNTERS: _run(at, fig)))
            first_sql = statements.count - before
            before = statements.count
            warm.append(clock(lambda at=at: _run(at)))
            warm_sql = statements.count - before
        out["pages"][page] = {"first": asdict(Timing.of(first)), "warm": asdict(Timing.of(warm)),
                              "first_statements": first_sql, "warm_statements": warm_sql}
    _cold()
    rss_before = _memory_mb("VmRSS")
    open_sessions, per_session = [], []
    for _ in tqdm(range(sessions), desc="  sessions", unit="session", file=sys.stderr):
        at = _session("overview", ticket)
        before = statements.count
        _run(at)
        per_session.append(statements.count - before)
        open_sessions.append(at)  # kept, as a server keeps each open session's state
    out["sessions"] = {
        "count": sessions, "first_statements": per_session[0],
        "other_statements": sum(per_session[1:]), "rss_before_mb": rss_before,
        "rss_mb": _memory_mb("VmRSS"), "peak_rss_mb": _memory_mb("VmHWM"),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("ticket")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=50)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.url
    # AppTest warns of its bare mode on every session; those would drown the progress bars.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
    os.environ.setdefault("CITY_TZ", "Europe/Moscow")
    print(json.dumps(measure(args.ticket, args.runs, args.sessions)))


if __name__ == "__main__":
    main()
