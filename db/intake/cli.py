"""`python -m db intake FILE [--report REPORT.jsonl] [--rules RULES.toml]`, or `--from vk|telegram`
(db/intake/connect.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from db.engine import make_engine
from db.intake.pipeline import IntakeError, Outcome, intake
from db.intake.rules import load_rules


def write_report(outcomes: list[Outcome], path: Path) -> None:
    """One JSON line per input line: line, decision, ticket, category, department, reason."""
    with path.open("w", encoding="utf-8") as f:
        for outcome in outcomes:
            f.write(json.dumps(outcome.report(), ensure_ascii=False) + "\n")


def read_lines(path: Path) -> list[str]:
    """The file's lines, split at line feeds only: `str.splitlines` would also split at U+2028
    and the like, which JSON allows inside a string, cutting one message in two."""
    text = path.read_text(encoding="utf-8")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


def intake_command(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.source is None):
        print("intake: name a FILE or --from vk|telegram (one of the two)", file=sys.stderr)
        return 2
    if args.source is not None:
        from db.intake.connect import connect_command

        return connect_command(args)
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
        outcomes = intake(make_engine(args.database), lines, load_rules(args.rules),
                          progress=True, total=len(lines))
    except IntakeError as error:
        print(f"intake: {error}", file=sys.stderr)
        return 1
    if args.report:
        write_report(outcomes, Path(args.report))
    counts = Counter(o.decision for o in outcomes)
    print(", ".join(f"{counts[d]} {d}" for d in
                    ("ticket", "duplicate", "rejected", "ignored", "broken")))
    return 0
