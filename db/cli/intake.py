"""`intake`: complaints found in social-network posts, from a file or watched live."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from db.engine import UNREACHABLE, make_engine
from db.transactions import Contention
from feeds.intake.api import FeedError
from feeds.intake.connect import SHOWN, make_source
from feeds.intake.feed import Source, Taken, take
from feeds.intake.files import read_lines, write_report
from feeds.intake.pipeline import IntakeError
from feeds.intake.pipeline import intake as route
from feeds.intake.rules import Rules, RulesFileError, load_rules


def run(args: argparse.Namespace) -> int:
    """A file: exit 0 with the decisions' counts, 1 when the intake failed or a line was broken
    (the others are taken), 2 when the file or the rules are unreadable. `--from`: see
    `_connect`."""
    if (args.file is None) == (args.source is None):
        print("intake: name a FILE or --from vk|telegram (one of the two)", file=sys.stderr)
        return 2
    if args.source is not None:
        return _connect(args)
    path = Path(args.file)
    try:
        lines = read_lines(path)
    except UnicodeDecodeError:
        print(f"intake: {path}: not UTF-8 text", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"intake: {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    try:
        rules = load_rules(args.rules)
    except RulesFileError as error:
        print(f"intake: {error}; nothing was read", file=sys.stderr)
        return 2
    try:
        outcomes = route(make_engine(args.database), lines, rules,
                         progress=True, total=len(lines))
    except IntakeError as error:
        print(f"intake: {error}", file=sys.stderr)
        return 1
    if args.report:
        write_report(outcomes, Path(args.report))
    counts = Counter(o.decision for o in outcomes)
    print(", ".join(f"{counts[d]} {d}" for d in
                    ("ticket", "duplicate", "rejected", "ignored", "broken")))
    return 1 if counts["broken"] else 0  # as an import with skipped lines does


def _connect(args: argparse.Namespace) -> int:
    """A pass every `--every` seconds until stopped (or one with `--once`), each printed as one
    line. A pass that could not finish (other writers colliding every try among the reasons) is
    printed as one line naming no token; under `--once` it exits 1. The database going away is
    waited out, except under `--once`."""
    try:
        source = make_source(args.source)
    except ValueError as error:
        print(f"intake: {error}", file=sys.stderr)
        return 2
    every = max(1, int(args.every))
    engine = make_engine(args.database)
    try:
        rules = load_rules(args.rules)
    except RulesFileError as error:
        print(f"intake: {error}; nothing was read", file=sys.stderr)
        return 2
    with (Path(args.report).open("w", encoding="utf-8") if args.report
          else contextlib.nullcontext()) as report:

        def on_taken(taken: Taken) -> None:
            if report is not None:
                report.write(json.dumps(taken.report(), ensure_ascii=False) + "\n")
                report.flush()

        try:
            return _passes(engine, source, rules, every, args.once, on_taken)
        except KeyboardInterrupt:
            return 0


def _passes(engine: Engine, source: Source, rules: Rules, every: int, once: bool,
            on_taken: Callable[[Taken], None]) -> int:
    while True:
        try:
            counts = take(engine, source, rules, datetime.now(UTC), every, on_taken, once)
            print(_summary(source.name, counts), flush=True)
        except (FeedError, IntakeError, Contention) as error:
            print(f"intake --from {source.name}: {error}", file=sys.stderr, flush=True)
            if once:
                return 1
        except UNREACHABLE:
            if once:
                raise
            print(f"intake --from {source.name}: the database is unreachable; "
                  f"trying again in {every} s", file=sys.stderr, flush=True)
        if once:
            return 0
        time.sleep(every)


def _summary(network: str, counts: Counter[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} {network}: " + ", ".join(f"{counts[k]} {k}" for k in SHOWN)
