"""`python -m db sla load FILE.toml [--recompute]` and `python -m db sla show`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, func, select
from tqdm import tqdm

from db import sla
from db.config import city_tz
from db.engine import make_engine
from db.schema import sla_calendar, tickets


def sla_command(args: argparse.Namespace) -> int:
    engine = make_engine(args.database)
    if args.action == "show":
        with engine.connect() as conn:
            print("\n".join(describe(conn)))
        return 0
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        print(f"{path}: {reason or error}; the rules are unchanged", file=sys.stderr)
        return 2
    with engine.begin() as conn:
        try:
            parsed = sla.parse(text, sla.category_keys(conn))
        except sla.SlaFileError as error:
            print(f"{path}: {error}; the rules are unchanged", file=sys.stderr)
            return 2
        sla.store(conn, parsed, str(path), datetime.now(UTC).replace(microsecond=0))
        print(f"loaded {len(parsed.rules)} rules from {path}")
        if args.recompute:
            rules = sla.load(conn, city_tz())
            total = sla.count_recomputable(conn)
            with tqdm(total=total, unit="tickets", desc="recomputing",
                      file=sys.stderr) as bar:
                changed = sla.recompute(conn, rules, bar.update)
            print(f"recomputed the due of {total:,} open tickets without a given deadline: "
                  f"{changed:,} changed")
        else:
            print("the rules apply to tickets created from now on (--recompute: to open ones too)")
    return 0


def describe(conn: Connection) -> list[str]:
    """The stored calendar and rules, as `sla show` prints them."""
    row = conn.execute(select(sla_calendar)).first()
    if row is None:
        return ["no SLA rules loaded: every category's deadline is its own calendar hours"]
    rules = sla.load(conn, city_tz())
    cal = rules.calendar
    lines = [f"loaded from {row.source} at {row.loaded_at:%Y-%m-%d %H:%M} UTC; "
             f"zone {city_tz().key}",
             "working hours: " + (", ".join(f"{sla.WEEKDAYS[d]} {_spans(s)}"
                                            for d, s in sorted(cal.week.items())) or "none")]
    lines.append(f"holidays ({len(cal.holidays)}): "
                 + (", ".join(d.isoformat() for d in sorted(cal.holidays)) or "none"))
    lines.append(f"short days ({len(cal.short_days)}): " + (", ".join(
        f"{d} {_spans(s)}" for d, s in sorted(cal.short_days.items())) or "none"))
    lines.append(f"working days ({len(cal.working_days)}): " + (", ".join(
        f"{d} {_spans(s)}" for d, s in sorted(cal.working_days.items())) or "none"))
    lines.append(f"rules ({len(rules.rules)}); other categories keep their calendar hours:")
    lines += [f"  {r.label()}" for r in sorted(rules.rules.values(),
                                                 key=lambda r: (r.category, r.priority or 0))]
    open_given = conn.execute(select(func.count()).select_from(tickets).where(
        tickets.c.due_basis == "given", tickets.c.ended_at.is_(None))).scalar_one()
    lines.append(f"open tickets with a deadline given by their source: {open_given:,}")
    return lines


def _spans(spans: tuple[sla.Span, ...]) -> str:
    return ",".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in spans)
