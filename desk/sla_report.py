"""The deadline rules in force, described line by line for `python -m db sla show`."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from db.config import city_tz
from db.schema import sla_calendar, tickets
from desk import sla


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
