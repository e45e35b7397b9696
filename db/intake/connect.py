"""`python -m db intake --from vk|telegram [--once] [--every SECONDS] [--report OUT.jsonl]`.

Runs a connector: a pass every `--every` seconds until stopped (or one with `--once`), each pass
printed as one line. A pass that could not finish is recorded on the feed and printed as one line
naming no token; under `--once` it exits 1. The database going away is waited out, except under
`--once`.
"""

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

from db import config
from db.engine import UNREACHABLE, make_engine
from db.intake.api import FeedError
from db.intake.feed import Source, Taken, take
from db.intake.pipeline import IntakeError
from db.intake.rules import Rules, load_rules
from db.intake.telegram import TelegramSource
from db.intake.vk import VkSource, parse_groups

SHOWN = ("ticket", "duplicate", "rejected", "ignored", "edited", "skipped")


def make_source(network: str) -> Source:
    """The connector the settings describe; ValueError names a missing or bad setting."""
    if network == "vk":
        token = config.vk_token()
        if not token:
            raise ValueError("CITYDESK_VK_TOKEN is not set: see the README, 'Social networks'")
        return VkSource(token, parse_groups(config.vk_groups()), config.vk_api_url())
    token = config.telegram_token()
    if not token:
        raise ValueError("CITYDESK_TELEGRAM_TOKEN is not set: see the README, 'Social networks'")
    return TelegramSource(token, config.telegram_api_url())


def _summary(network: str, counts: Counter[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} {network}: " + ", ".join(f"{counts[k]} {k}" for k in SHOWN)


def connect_command(args: argparse.Namespace) -> int:
    try:
        source = make_source(args.source)
    except ValueError as error:
        print(f"intake: {error}", file=sys.stderr)
        return 2
    every = max(1, int(args.every))
    engine = make_engine(args.database)
    rules = load_rules(args.rules)
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
        except (FeedError, IntakeError) as error:
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
