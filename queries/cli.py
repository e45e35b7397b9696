"""`python -m queries summary|incidents|spikes|week …`: the overview's figures, its open
incidents and spikes, and the weekly meeting's review, from the same query code as the pages.

This module is the whole command line of the queries: it parses the arguments, calls the query
functions, prints their results and turns known errors into one line and an exit code (2 for
unusable input, 3 for an unreachable database)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from sqlalchemy import select

from db.config import at_risk_window, check_settings, city_tz, language
from db.engine import (
    UNREACHABLE,
    database_refusal,
    ensure_schema,
    make_engine,
    unreachable_message,
)
from db.instants import parse_instant
from db.schema import categories
from queries.filters import Filters
from queries.incidents import incidents
from queries.rules import RulesError, check_categories, load_rules
from queries.spikes import spikes
from queries.summary import summary
from queries.week import last_full_week, parse_week, review

DESCRIPTION = ("`python -m queries COMMAND`: the overview's figures, open incidents and spikes, "
               "and the week's review, from the same query code as the pages.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m queries", description=DESCRIPTION)
    parser.add_argument("--database", help="SQLAlchemy URL (default: DATABASE_URL or data/)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, what in (("summary", "counters and per-department workload"),
                       ("incidents", "open incidents: many reports of one kind from one place, "
                                     "biggest first"),
                       ("spikes", "districts whose reports of one kind run far above usual")):
        cmd = commands.add_parser(name, help=what)
        cmd.add_argument("--json", action="store_true", help="print JSON (default: a table)")
        cmd.add_argument("--as-of", help="ISO-8601 instant (default: now)")
    cmd = commands.add_parser("week", help="a week's review: the city and each department")
    cmd.add_argument("--json", action="store_true", help="print JSON (default: a table)")
    cmd.add_argument("--as-of", help="ISO-8601 instant (default: now); picks the last full week")
    cmd.add_argument("--week", help="an ISO week, YYYY-Www (default: the last full week)")
    cmd.add_argument("--pdf", metavar="OUT.pdf", help="also write the meeting pack as a PDF")
    cmd.add_argument("--lang", choices=("en", "ru"), help="the pack's language (CITYDESK_LANG)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code."""
    args = build_parser().parse_args(argv)
    if bad_settings := check_settings():  # one line each, before anything runs
        print("\n".join(bad_settings), file=sys.stderr)
        return 2
    if refusal := database_refusal(args.database, may_create=False):
        print(refusal, file=sys.stderr)
        return 2
    try:
        as_of = parse_instant(args.as_of, city_tz()) if args.as_of else datetime.now(UTC)
    except ValueError as error:
        print(f"--as-of: {error}", file=sys.stderr)
        return 2
    f = Filters(as_of=as_of.replace(microsecond=0), tz=city_tz().key, at_risk=at_risk_window())
    if args.command == "week":
        return _week(args, f)
    try:
        rules = load_rules() if args.command != "summary" else None
    except RulesError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        engine = make_engine(args.database)
        ensure_schema(engine)
        with engine.connect() as conn:
            if rules is not None:
                check_categories(rules, set(conn.execute(select(categories.c.code)).scalars()))
            if args.command == "summary":
                result = summary(conn, f)
            elif args.command == "incidents":
                result = [i.as_dict() for i in incidents(conn, f, rules)]
            else:
                result = [s.as_dict() for s in spikes(conn, f, rules)]
    except UNREACHABLE as error:
        print(unreachable_message(error), file=sys.stderr)
        return 3
    except RulesError as error:
        print(error, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    elif args.command == "summary":
        _print_table(result)
    else:
        _print_list(args.command, result)
    return 0


def _week(args: argparse.Namespace, f: Filters) -> int:
    try:
        week = parse_week(args.week, f.tz) if args.week else last_full_week(f.as_of, f.tz)
    except ValueError as error:
        print(f"--week: {error}", file=sys.stderr)
        return 2
    try:
        engine = make_engine(args.database)
        ensure_schema(engine)
        with engine.connect() as conn:
            result = review(conn, week)
            if args.pdf:
                from reports.week_pack import write_pack  # fpdf2 only when a pack is asked for

                write_pack(conn, result, args.pdf, args.lang or language())
    except UNREACHABLE as error:
        print(unreachable_message(error), file=sys.stderr)
        return 3
    except OSError as error:
        print(f"--pdf: cannot write {args.pdf}: {error.strerror}", file=sys.stderr)
        return 2
    payload = result.as_json()
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_week(payload)
    if args.pdf:
        print(f"the meeting pack: {args.pdf}", file=sys.stderr)
    return 0


def _print_week(payload: dict) -> None:
    print(f"{payload['week']}: {payload['start']} – {payload['end']}")
    heads = ("received", "resolved", "on_time_pct", "open_at_end", "overdue_at_end", "passed_on")
    print(f"{'':<45}" + "".join(f"{h[:12]:>13}" for h in heads))
    rows = [("CITY", payload["city"])] + [(d["department"], d) for d in payload["departments"]]
    for name, figures in rows:
        cells = ["—" if figures[h] is None else f"{figures[h]:.1f}" if isinstance(figures[h], float)
                 else str(figures[h]) for h in heads]
        print(f"{name[:44]:<45}" + "".join(f"{c:>13}" for c in cells))


def _print_table(result: dict) -> None:
    for key, value in result.items():
        if key != "departments":
            print(f"{key:>20}: {value}")
    print()
    print(f"{'department':<45}{'open':>6}{'overdue':>9}{'at_risk':>9}{'recv_7d':>9}{'res_7d':>8}")
    for d in result["departments"]:
        print(f"{d['department'][:44]:<45}{d['open']:>6}{d['overdue']:>9}{d['at_risk']:>9}"
              f"{d['received_7d']:>9}{d['resolved_7d']:>8}")


def _print_list(command: str, items: list[dict]) -> None:
    if not items:
        print(f"no {command} as of then")
        return
    if command == "incidents":
        print(f"{'reports':>7}  {'category':<28}{'district':<22}{'first':<27}last")
        for i in items:
            print(f"{i['reports']:>7}  {i['category_name'][:27]:<28}"
                  f"{(i['district_name'] or '')[:21]:<22}{i['first']:<27}{i['last']}")
    else:
        print(f"{'count':>5}{'usual':>7}  {'category':<28}{'district':<22}since")
        for s in items:
            print(f"{s['count']:>5}{s['usual']:>7}  {s['category_name'][:27]:<28}"
                  f"{s['district_name'][:21]:<22}{s['since']}")
