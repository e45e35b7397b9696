"""`python -m bench.alarms`: how often the spike and incident rules fire on the demo city's
plain background, where nothing is happening (the seed plants no bursts).

Every hour of the last `days` days is looked at as of its end, as the live pages would; a
spike is counted once per district × category per run of consecutive hours it stays flagged
(an alarm), and an incident once per first ticket it holds.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection
from tqdm import tqdm

from bench.databases import BENCH_DIR
from db.engine import make_engine, migrate
from demo.seed import seed
from queries.filters import Filters
from queries.incidents import incidents
from queries.rules import Rules, load_rules
from queries.spikes import spikes

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # the benchmark's "now", not the seed's own


@dataclass(frozen=True)
class Alarms:
    hours: int  # instants looked at
    cells: int  # district × category cells tested at each
    spike_hours: int  # (hour, cell) pairs flagged
    spikes: int  # runs of consecutive flagged hours
    incidents: int


def count_alarms(conn: Connection, end: datetime, days: int, tz: str,
                 rules: Rules | None = None, progress: bool = False) -> Alarms:
    """Spikes and incidents found at each whole hour of the `days` days before `end`."""
    rules = rules or load_rules()
    hours = days * 24
    flagged: set[tuple[int, str, str]] = set()
    seen_incidents: set[str] = set()
    for h in tqdm(range(hours), desc="hours", disable=not progress, file=sys.stderr):
        f = Filters(as_of=end - timedelta(hours=hours - 1 - h), tz=tz)
        flagged |= {(h, s.district, s.category) for s in spikes(conn, f, rules)}
        seen_incidents |= {i.tickets[0] for i in incidents(conn, f, rules)}
    runs = sum(1 for h, d, c in flagged if (h - 1, d, c) not in flagged)
    n_categories = conn.exec_driver_sql("SELECT count(*) FROM categories").scalar_one()
    n_districts = conn.exec_driver_sql("SELECT count(*) FROM districts").scalar_one()
    return Alarms(hours, n_categories * n_districts, len(flagged), runs, len(seen_incidents))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alarms", description=__doc__)
    parser.add_argument("--database", default=f"sqlite:///{BENCH_DIR / 'alarms.db'}",
                        help="built here with the demo city's seed when it has no tickets "
                             "(default: data/bench/alarms.db)")
    parser.add_argument("--days", type=int, default=30, help="days looked at (default 30)")
    parser.add_argument("--seed", type=int, default=1563)
    parser.add_argument("--end", type=datetime.fromisoformat, default=NOW,
                        help="the last instant looked at, ISO-8601 with offset (default: the "
                             "seed's now, 2026-11-26T09:30:00+00:00)")
    args = parser.parse_args(argv)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    engine = make_engine(args.database)
    migrate(engine)
    with engine.connect() as conn:
        empty = conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one() == 0
    if empty:
        seed(engine, None, args.seed, NOW, progress=True)
    with engine.connect() as conn:
        result = count_alarms(conn, args.end, args.days, "Europe/Moscow", progress=True)
    print(f"{result.hours} hours × {result.cells} district × category cells: "
          f"{result.spikes} spikes ({result.spike_hours} flagged hours), "
          f"{result.incidents} incidents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
