"""What the benchmark times: every query the pages make, with the filters the pages use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from bench.databases import NOW
from db.schema import OPEN_STATUSES, STATUSES, tickets
from queries import (
    channels,
    counters,
    incidents,
    lookups,
    map_points,
    spikes,
    summary,
    trend,
    workload,
)
from queries import tickets as ticket_query
from queries.filters import SUBSETS, Filters

# The overview as it opens: open tickets on the map and in the table, as of the city's "now".
PAGE = Filters(as_of=NOW, tz="Europe/Moscow", statuses=OPEN_STATUSES)
ALL_STATUSES = PAGE.with_(statuses=STATUSES)
DEPARTMENT = "ROADS"  # the department page, for the busiest service
MINE = PAGE.with_(departments=(DEPARTMENT,))


@dataclass(frozen=True)
class Case:
    """One timed read: a name for the table and a call on an open connection."""

    name: str
    call: Callable[[Connection], object]


def _subset_filters(subset: str) -> Filters:
    """As the page does: a figure's drill-down ignores the status and period filters."""
    return PAGE if subset == "all" else PAGE.with_(statuses=(), period_from=None)


def sample_ticket(conn: Connection) -> str:
    """An open ticket's external id: the one the card and the reassignment use."""
    return conn.execute(
        select(tickets.c.external_id).where(tickets.c.ended_at.is_(None))
        .order_by(tickets.c.id.desc()).limit(1)
    ).scalar_one()


def cases(ticket: str) -> list[Case]:
    """Every query behind the pages, named as in the code."""
    t = tickets.c
    out = [
        Case("counters (all 9)", lambda c: counters.counters(c, PAGE)),
        Case("· open_counts", lambda c: counters.open_counts(c, PAGE)),
        Case("· on_time_pct", lambda c: counters.on_time_pct(c, PAGE)),
        Case("· median_seconds accept",
             lambda c: counters.median_seconds(c, PAGE, t.created_at, t.accepted_at)),
        Case("· median_seconds resolve",
             lambda c: counters.median_seconds(c, PAGE, t.created_at, t.resolved_at)),
        Case("workload", lambda c: workload.workload(c, PAGE)),
        Case("daily_flow (30 days)", lambda c: trend.daily_flow(c, PAGE)),
        Case("hourly_flow", lambda c: trend.hourly_flow(c, PAGE)),
        Case("weekly_on_time (12 weeks)", lambda c: trend.weekly_on_time(c, PAGE)),
        Case("channel_mix", lambda c: channels.channel_mix(c, PAGE)),
        Case("map_points (open)", lambda c: map_points.map_points(c, PAGE)),
        Case("map_points (all statuses)", lambda c: map_points.map_points(c, ALL_STATUSES)),
    ]
    out += [
        Case(f"ticket_page {subset}", lambda c, s=subset: ticket_query.ticket_page(
            c, _subset_filters(s), ticket_query.TicketQuery(subset=s)))
        for subset in SUBSETS
    ]
    out += [
        Case("queue", lambda c: ticket_query.queue(c, PAGE)),
        Case("department: counters", lambda c: counters.counters(c, MINE)),
        Case("department: queue", lambda c: ticket_query.queue(c, MINE)),
        Case("department: map_points", lambda c: map_points.map_points(c, MINE)),
        Case("department: daily_flow", lambda c: trend.daily_flow(c, MINE)),
        Case("ticket_card", lambda c: ticket_query.ticket_card(c, ticket)),
        Case("reference lists", _reference),
        Case("summary", lambda c: summary.summary(c, PAGE)),
        Case("incidents", lambda c: incidents.incidents(c, PAGE)),
        Case("spikes", lambda c: spikes.spikes(c, PAGE)),
    ]
    return out


def _reference(conn: Connection) -> object:
    return (lookups.department_list(conn), lookups.district_list(conn),
            lookups.category_list(conn), lookups.channel_list(conn),
            lookups.has_tickets(conn))
