"""Everything measured on one database, in one place: queries, writes, the summary command, the
map's payload, the pandas way beside ours, and the pages (in a process of their own)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, Engine, select
from tqdm import tqdm

from access.permissions import Actor
from bench import baseline
from bench.cases import ALL_STATUSES, PAGE, cases, sample_ticket
from bench.databases import NOW, BenchDatabase
from bench.timing import Timing, clock, measure, timed
from db.config import ROOT, city_tz
from db.engine import make_engine
from db.schema import departments, tickets
from db.types import to_epoch
from demo.seed import DEMO_SLA
from desk import sla
from desk.actions import reassign, undo_last
from queries.lookups import district_list
from queries.map_points import map_points
from ui.deck import build_deck, payload_bytes

ACTOR = Actor("benchmark", "dispatcher")


@dataclass
class Result:
    """What one database measured."""

    db: BenchDatabase
    server: str = ""  # the database's name and version
    queries: dict[str, Timing] = field(default_factory=dict)
    writes: dict[str, Timing] = field(default_factory=dict)
    payload: dict[str, int] = field(default_factory=dict)  # bytes
    pandas: dict[str, Timing] = field(default_factory=dict)
    same_figures: bool | None = None
    frame_mb: float | None = None
    pages: dict = field(default_factory=dict)


OURS = "ours: the same figures"
DEADLINES = "deadlines of 100,000 tickets (demo SLA rules)"
READ, FIGURES, BOTH = ("pandas: read the table", "pandas: figures from the frame",
                       "pandas: read + figures")


def measure_database(db: BenchDatabase, runs: int, baseline_runs: int, sessions: int,
                     pandas_max: int) -> Result:
    """Everything, on `db`; the pandas way only up to `pandas_max` tickets (past it the whole
    table no longer fits this machine's memory as Python objects on the way into pandas)."""
    result = Result(db)
    engine = make_engine(db.url)
    try:
        with engine.connect() as conn:
            ticket = sample_ticket(conn)
            result.server = _server(conn)
            for case in tqdm(cases(ticket), desc=f"{db.label}: queries", unit="query"):
                result.queries[case.name] = measure(lambda c=case: c.call(conn), runs)
            districts = district_list(conn)
            for name, f in (("open", PAGE), ("all statuses", ALL_STATUSES)):
                deck = build_deck(map_points(conn, f), districts, "ru")  # Russian is the longer
                result.payload[name] = payload_bytes(deck)
        result.writes = _writes(engine, ticket, runs)
        result.writes["summary command"] = _summary_command(db, baseline_runs)
        with engine.connect() as conn:
            result.writes[DEADLINES] = _deadlines(conn, runs)
        with engine.connect() as conn:
            result.pandas[OURS] = measure(lambda: baseline.ours(conn, PAGE), runs)
        if db.size <= pandas_max:
            _pandas_way(engine, result, baseline_runs)
    finally:
        engine.dispose()
    result.pages = _pages(db, ticket, runs, sessions)
    return result


def _server(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar_one().split()[0]
    return "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar_one()


def _writes(engine: Engine, ticket: str, runs: int) -> dict[str, Timing]:
    """Reassign an open ticket and undo it, `runs` times: the database ends as it began."""
    with engine.connect() as conn:
        current = conn.execute(select(tickets.c.department_id)
                               .where(tickets.c.external_id == ticket)).scalar_one()
        target = conn.execute(select(departments.c.code).where(departments.c.id != current)
                              .order_by(departments.c.id).limit(1)).scalar_one()
    moves, undos = [], []
    for run in tqdm(range(runs), desc="  reassign + undo", unit="pair"):
        # A reason of its own: an undo takes back every move with the same second and reason.
        reason = f"benchmark {run}"
        moves.append(clock(lambda r=reason: _ok(reassign(engine, [ticket], target, r, ACTOR))))
        undos.append(clock(lambda: _ok(undo_last(engine, ACTOR))))
    return {"reassign (1 ticket)": Timing.of(moves), "undo": Timing.of(undos)}


def _deadlines(conn: Connection, runs: int, n: int = 100_000) -> Timing:
    """The seed's deadlines for `n` tickets over a year by the demo city's SLA file (desk/sla.py,
    many at a time): what `python -m db seed` adds per chunk of tickets."""
    parsed = sla.parse(DEMO_SLA.read_text(encoding="utf-8"), sla.category_keys(conn))
    ids = np.array(sorted({r.category_id for r in parsed.rules}))
    rules = sla.Sla(parsed.calendar, parsed.rules, {}, city_tz())
    rng = np.random.default_rng(17)
    created = to_epoch(NOW) - rng.integers(0, 365 * 86400, size=n)
    category = rng.choice(ids, size=n)
    priority = rng.integers(1, 4, size=n)
    return Timing.of([clock(lambda: rules.due_epochs(created, category, priority))
                      for _ in range(runs)])


def _ok(result) -> None:
    if not result.ok:
        raise RuntimeError(f"the write was refused: {result.refusals[0].message}")


def _summary_command(db: BenchDatabase, runs: int) -> Timing:
    """`python -m queries summary --json`, start to end (the interpreter's start included)."""
    command = [sys.executable, "-m", "queries", "--database", db.url, "summary", "--json",
               "--as-of", NOW.isoformat()]
    return Timing.of([clock(lambda: subprocess.run(command, cwd=ROOT, check=True,
                                                   capture_output=True))
                      for _ in tqdm(range(runs), desc="  summary command", unit="run")])


def _pandas_way(engine: Engine, result: Result, runs: int) -> None:
    """Read the table into pandas and compute the figures there; ours beside it."""
    with engine.connect() as conn:
        codes = list(conn.execute(select(departments.c.code)).scalars())
        ours = baseline.ours(conn, PAGE)
    reads, computes = [], []
    for _ in tqdm(range(runs), desc="  pandas way", unit="run"):
        read_ms, frame = timed(lambda: baseline.read_tickets(engine))
        reads.append(read_ms)
        computes.append(clock(lambda f=frame: baseline.figures(f, PAGE, codes)))
    result.frame_mb = frame.memory_usage(deep=True).sum() / 2**20
    result.same_figures = baseline.compare(baseline.figures(frame, PAGE, codes), ours).equal
    result.pandas[READ] = Timing.of(reads)
    result.pandas[FIGURES] = Timing.of(computes)
    result.pandas[BOTH] = Timing.of(
        [r + c for r, c in zip(reads, computes, strict=True)])


def _pages(db: BenchDatabase, ticket: str, runs: int, sessions: int) -> dict:
    command = [sys.executable, "-m", "bench.pages", db.url, ticket, "--runs", str(runs),
               "--sessions", str(sessions)]
    print(f"{db.label}: pages", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.PIPE)
    return json.loads(done.stdout)
