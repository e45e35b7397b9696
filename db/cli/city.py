"""The demo city's commands: `migrate`, `seed` and `simulate`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from tqdm import tqdm

from access import users
from db.engine import current_revision, make_engine
from db.engine import migrate as migrate_database
from db.instants import parse_instant
from demo import city


def migrate(args: argparse.Namespace) -> int:
    engine = make_engine(args.database)
    new = current_revision(engine) is None
    migrate_database(engine)
    if new:
        print(f"made a new, empty database ({engine.url.render_as_string(hide_password=True)}); "
              "it is at the newest migration")
    else:
        print("database is at the newest migration")
    return 0


def seed(args: argparse.Namespace) -> int:
    """Exit 0 when seeded (or, with --if-empty, when there was nothing to do), 1 when the database
    already has tickets, 2 for an unreadable --now."""
    from demo import seed as demo  # numpy only for the commands that generate

    if args.tickets is not None and args.tickets < 1:
        print(f"--tickets must be at least 1, not {args.tickets}", file=sys.stderr)
        return 2
    if args.days < 1:
        print(f"--days must be at least 1, not {args.days}", file=sys.stderr)
        return 2
    try:
        now = parse_instant(args.now, None) if args.now else None
    except ValueError as error:
        print(f"--now: {error}", file=sys.stderr)
        return 2
    engine = make_engine(args.database)
    existing = demo.ticket_count(engine)
    if existing and args.if_empty:
        print(f"the database already has {existing:,} tickets; not seeding")
        with engine.connect() as conn:
            if not users.has_users(conn):
                print("nobody can sign in yet: add a user with "
                      "python -m db user add NAME --role leadership")
        return 0
    if existing and not args.reset:
        print(f"the database already has {existing:,} tickets; use --reset to replace them",
              file=sys.stderr)
        return 1
    if args.reset:
        demo.clear(engine)
    if demo.load_demo_rules(engine, now or datetime.now(UTC)):
        print(f"loaded the demo city's SLA rules ({demo.DEMO_SLA.relative_to(demo.ROOT)})")
    n = demo.seed(engine, args.tickets, args.seed, now, days=args.days)
    print(f"seeded {n:,} tickets")
    for line in demo.demo_sign_ins(engine):
        print(line)
    return 0


def simulate(args: argparse.Namespace) -> int:
    """Exit 0 after playing (until --duration or Ctrl-C), 2 for an unusable option."""
    from demo.simulate import find_code, postfix, run  # numpy only for the commands that generate

    if args.speed <= 0:
        print("--speed must be above 0", file=sys.stderr)
        return 2
    incident = None
    if args.incident is not None or args.district is not None:
        if args.incident is None or args.district is None:
            print("--incident and --district go together", file=sys.stderr)
            return 2
        if args.reports < 1 or args.minutes <= 0:
            print("--reports and --minutes must be above 0", file=sys.stderr)
            return 2
        try:
            find_code(args.incident, city.CATEGORIES, "category")
            find_code(args.district, city.DISTRICTS, "district")
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        incident = (args.incident, args.district, args.reports, args.minutes)
    tqdm.monitor_interval = 0  # its thread would outlive Ctrl-C and complain at exit
    counts = run(make_engine(args.database), args.speed, args.duration, args.seed,
                 incident=incident)
    print(", ".join(f"{name} {n}" for name, n in postfix(counts).items()))
    return 0
