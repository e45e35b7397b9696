"""`python -m bench`: build the benchmark's databases (once), time every query, page, write and
command on each, beside the usual pandas way, and print one table (Markdown)."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

from bench.databases import postgres_database, postgres_server, sqlite_database
from bench.measure import measure_database
from bench.report import markdown


def _sizes(text: str) -> list[int]:
    return [int(v.replace("_", "")) for v in text.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", type=_sizes, default=[100_000, 1_000_000],
                        help="PostgreSQL databases, in tickets (default: 100000,1000000)")
    parser.add_argument("--sqlite-sizes", type=_sizes, default=[100_000],
                        help="SQLite databases, in tickets (default: 100000; '' for none)")
    parser.add_argument("--with-10m", action="store_true",
                        help="also 10,000,000 tickets on PostgreSQL (~20 min to build)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each figure")
    parser.add_argument("--baseline-runs", type=int, default=5,
                        help="runs of the slow ones: the pandas way and the summary command")
    parser.add_argument("--pandas-max", type=int, default=1_000_000,
                        help="the largest database the pandas way is run on (it holds the "
                             "whole table in memory: ~1 GB per million tickets)")
    parser.add_argument("--sessions", type=int, default=50,
                        help="sessions opened within one refresh interval")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 10,000 tickets on each database, few runs")
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--browser", action="store_true",
                        help="the pages in Chromium instead: first figures, settled page and "
                             "each click's answer, beside an empty Streamlit page (100,000 "
                             "tickets on SQLite)")
    args = parser.parse_args(argv)
    if args.browser:
        from bench.browser import run

        table = run(2 if args.quick else min(args.runs, 7))
        print(table)
        if args.out:
            args.out.write_text(table)
        return 0
    if args.quick:
        args.sizes, args.sqlite_sizes = [10_000], [10_000]
        args.runs, args.baseline_runs, args.sessions = 3, 2, 5
    sizes = args.sizes + ([10_000_000] if args.with_10m else [])

    results = []
    with postgres_server() if sizes else nullcontext() as admin:
        databases = [postgres_database(admin, n) for n in sizes]
        databases[1:1] = [sqlite_database(n) for n in args.sqlite_sizes]
        for db in databases:
            results.append(measure_database(db, args.runs, args.baseline_runs, args.sessions,
                                            args.pandas_max))
    table = markdown(results, args.runs)
    print(table)
    if args.out:
        args.out.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
