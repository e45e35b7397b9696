"""The intake's files: messages read one per line, and the report written one JSON line each."""

from __future__ import annotations

import json
from pathlib import Path

from feeds.intake.pipeline import Outcome


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
