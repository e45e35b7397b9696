"""`python -m db notify`: alerts to the people who must act (reports/notifier.py), once."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from db.config import at_risk_window, city_tz, notify_rules_path
from db.engine import UNREACHABLE, make_engine
from db.instants import parse_instant
from reports.alert_rules import AlertRulesError, load
from reports.notifier import Notifier, PastInstant


def run(args: argparse.Namespace) -> int:
    """`--once`: one pass, exit 0 when everything due was delivered, 1 when some delivery failed
    (it is retried by later passes). Otherwise a pass every `--every` seconds until stopped."""
    path = args.rules or notify_rules_path()
    if path is None:
        print("notify: give a rules file (--rules FILE.toml or CITYDESK_NOTIFY_RULES)",
              file=sys.stderr)
        return 2
    if args.every < 1:
        print("notify: --every must be at least 1 second", file=sys.stderr)
        return 2
    now = None
    if args.now:
        if not args.once:
            print("notify: --now goes with --once", file=sys.stderr)
            return 2
        try:
            now = parse_instant(args.now, city_tz()).astimezone(UTC)
        except ValueError as error:
            print(f"notify: --now: {error}", file=sys.stderr)
            return 2
    engine = make_engine(args.database)
    try:
        rules = load(path)
        notifier = Notifier(engine, rules, args.every, city_tz(), at_risk_window(),
                            progress=True)
    except AlertRulesError as error:
        print(f"notify: {path}: {error}", file=sys.stderr)
        engine.dispose()
        return 2
    try:
        while True:
            started = time.monotonic()
            code = _pass(notifier, now, args.once)
            if args.once:
                return code
            time.sleep(max(0.0, args.every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return 0
    finally:
        engine.dispose()


def _pass(notifier: Notifier, given: datetime | None, once: bool) -> int:
    """One pass at the instant given, else at the clock's."""
    now = given or datetime.now(UTC).replace(microsecond=0)
    try:
        report = notifier.run(now, replay=given is not None)
    except PastInstant as error:
        print(f"notify: {error}", file=sys.stderr)
        return 2
    except UNREACHABLE:
        if once:
            raise
        print(f"notify: the database is unreachable; trying again in {notifier.every} s",
              file=sys.stderr)
        return 1
    print(f"notify: {now.isoformat()}: {report.summary()}", flush=True)
    return 1 if report.failed else 0
