"""The page layer's access to the database: one engine per process, query results shared
between sessions for one refresh interval, and the last good figures kept through an outage.

With `DATABASE_READ_URL` reads go to a replica and writes to the primary; a session that has just
written reads from the primary, past the shared cache, until the replica has surely caught up."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from access.permissions import Actor
from db.config import (
    at_risk_window,
    city_tz,
    database_read_url,
    read_your_writes_seconds,
    refresh_seconds,
)
from db.engine import ensure_schema, make_engine
from desk.actions import Undoable, undoable
from queries import (
    alerts,
    audit_log,
    changes,
    channels,
    counters,
    feeds,
    handoffs,
    lookups,
    map_points,
    tickets,
    trend,
    week,
    workload,
)
from queries import incidents as incident_query
from queries import spikes as spike_query
from queries.filters import Filters

TTL = refresh_seconds()
OUTAGE_ERRORS = (OperationalError, DBAPIError, ConnectionError, TimeoutError)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """One engine (one pool) per server process; migrates an empty database on first use."""
    made = make_engine()
    ensure_schema(made)
    return made


@st.cache_resource(show_spinner=False)
def _replica(url: str) -> Engine:
    """One engine per process for the read replica (migrations run on the primary)."""
    return make_engine(url)


def read_engine() -> Engine:
    """Where reads go: the replica when `DATABASE_READ_URL` names one, else the primary."""
    url = database_read_url()
    return _replica(url) if url else engine()


def reads_primary() -> bool:
    """Whether this session wrote so recently that the replica may not show its change yet."""
    wrote = st.session_state.get("_wrote_at")
    return (database_read_url() is not None and wrote is not None
            and time.time() - wrote < read_your_writes_seconds())


def live_now(interval: int = TTL) -> datetime:
    """Now, floored to the refresh interval, so that every screen in one interval asks the
    same question and shares one cached answer."""
    now = int(time.time())
    return datetime.fromtimestamp(now - now % interval, UTC)


def _read(fn: Callable, *args):
    with (engine() if reads_primary() else read_engine()).connect() as conn:
        return fn(conn, *args)


# Each cached loader is keyed by its arguments (the frozen Filters); results live one interval.
@st.cache_data(ttl=TTL, show_spinner=False)
def load_counters(f: Filters):
    return _read(counters.counters, f)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_workload(f: Filters):
    return _read(workload.workload, f)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_daily_flow(f: Filters, days: int = 30):
    return _read(trend.daily_flow, f, days)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_last_day_flow(f: Filters):
    return _read(trend.last_day_flow, f)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_weekly_on_time(f: Filters, weeks: int = 12):
    return _read(trend.weekly_on_time, f, weeks)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_channel_mix(f: Filters):
    return _read(channels.channel_mix, f)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_social_response(f: Filters):
    return _read(channels.social_response, f)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_map(f: Filters, box: map_points.Box | None = None):
    return _read(map_points.map_points, f, box)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_incidents(f: Filters):
    return _read(incident_query.incidents, f)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_spikes(f: Filters):
    return _read(spike_query.spikes, f)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_ticket_page(f: Filters, q: tickets.TicketQuery):
    return _read(tickets.ticket_page, f, q)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_latest(f: Filters, limit: int = 10):
    return _read(tickets.latest, f, limit)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_queue(f: Filters, search: str = ""):
    return _read(tickets.queue, f, search)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_feeds(now: datetime):
    """Every feed's health as of `now` (this interval's, not a view's as-of)."""
    return _read(feeds.feed_health, now)


def load_usual_targets(category_codes: tuple[str, ...], as_of: datetime):
    return _read(handoffs.usual_targets, category_codes, Filters(as_of=as_of))


def load_undoable(actor: Actor) -> Undoable | None:
    """Not cached, and from the primary: the user's own last write, which they just made."""
    with engine().connect() as conn:
        return undoable(conn, actor)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_audit_page(f: audit_log.AuditFilters, page: int, page_size: int = 50):
    return _read(audit_log.audit_page, f, page, page_size)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_audit_actors(kinds: tuple[str, ...]):
    return _read(audit_log.audit_actors, kinds)


def load_card(external_id: str, as_of: datetime | None = None):
    """A ticket's card as it was at `as_of` (now, to the second, unless given: a ticket made
    this minute has its card, and its time left is this second's)."""
    return _load_card(external_id, as_of or datetime.now(UTC).replace(microsecond=0))


@st.cache_data(ttl=TTL, show_spinner=False)
def load_alert_page(f: alerts.AlertFilters, page: int, page_size: int = 50):
    return _read(alerts.alert_page, f, page, page_size)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_alert_recipients():
    return _read(alerts.alert_recipients)


@st.cache_data(ttl=TTL, show_spinner=False)
def _load_card(external_id: str, as_of: datetime):
    f = Filters(as_of=as_of, tz=city_tz().key, at_risk=at_risk_window())
    return _read(tickets.ticket_card, external_id, f)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_week_review(label: str, tz: str):
    return _read(week.review, week.parse_week(label, tz))


@st.cache_data(ttl=TTL, show_spinner=False)
def load_week_tickets(label: str, tz: str, figure: str, department: str | None, page: int,
                      page_size: int = 50, category: str | None = None,
                      district: str | None = None):
    """One page of the tickets behind a weekly figure (of the city, a department, or a
    category's or district's rise), with their status at the week's end."""
    chosen = week.parse_week(label, tz)
    q = tickets.TicketQuery(sort="created", descending=False, page=page, page_size=page_size)
    return _read(tickets.ticket_page, Filters(as_of=chosen.end, tz=tz), q,
                 week.figure_clause(week.TICKETS_OF[figure], chosen, department, category,
                                    district))


def week_pack(label: str, tz: str, lang: str) -> bytes:
    """Not cached: the meeting pack is made when asked for."""
    from reports.week_pack import pack_bytes

    with (engine() if reads_primary() else read_engine()).connect() as conn:
        return pack_bytes(conn, load_week_review(label, tz), lang)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_reference():
    """All four lookup tables at once; they change rarely."""
    with (engine() if reads_primary() else read_engine()).connect() as conn:
        return {
            "departments": lookups.department_list(conn),
            "districts": lookups.district_list(conn),
            "categories": lookups.category_list(conn),
            "channels": lookups.channel_list(conn),
            "has_tickets": lookups.has_tickets(conn),
        }


@dataclass
class Outage:
    """The database did not answer; `since` is when the figures on screen were read."""

    since: datetime | None


def guarded(fn: Callable, *args):
    """Call a loader; when the database is unreachable, return the last good result instead
    (None if there is none) and record the outage for the page's banner."""
    key = (fn.__name__, *(a.with_(as_of=EPOCH) if isinstance(a, Filters) else a for a in args))
    store = st.session_state.setdefault("_last_good", {})
    try:
        # Right after this session's write: past the shared cache, which a read from the
        # replica made by another session may have filled with the state before the write.
        value = (getattr(fn, "__wrapped__", fn) if reads_primary() else fn)(*args)
    except OUTAGE_ERRORS:
        _drop_connections()
        kept = store.get(key)
        previous = st.session_state.get("_outage")
        since = kept[1] if kept else (previous.since if previous else None)
        st.session_state["_outage"] = Outage(since)
        return kept[0] if kept else None
    store[key] = (value, datetime.now(UTC))
    return value


def _drop_connections() -> None:
    """Close pooled connections that died with the server, so the next run reconnects."""
    with contextlib.suppress(*OUTAGE_ERRORS):
        engine().dispose()
        read_engine().dispose()


def outage() -> Outage | None:
    """The outage seen during this run, if any."""
    return st.session_state.get("_outage")


def begin_run() -> None:
    """Forget the previous run's outage; a run that reaches the database clears it."""
    st.session_state.pop("_outage", None)


def clear_after_write() -> None:
    """A write changed tickets: drop every cached figure at once, so the writer sees the change
    now and every other screen at its next refresh. This session reads from the primary for a
    while (see `reads_primary`)."""
    st.session_state["_wrote_at"] = time.time()
    st.cache_data.clear()


@st.cache_data(ttl=TTL, show_spinner=False)
def load_baseline(f: Filters):
    """The overview counters' comparison: the same time yesterday, the previous 7 days."""
    return _read(changes.baseline, f)
