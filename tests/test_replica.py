"""Reads from a real streaming replica, writes to the primary, and the writer sees its own change.

A primary and a hot standby (pg_basebackup -R) run on loopback. Replay on the standby is paused
around the write, so the replica is known to lag: whoever reads the old figure read the replica.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import streamlit as st
from sqlalchemy import Engine, create_engine, select, text
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, migrate
from db.schema import departments, tickets
from demo.seed import seed
from devtools.pgserver import PG_BIN, PgServer, start_server, start_standby

WINDOW_SECONDS = 2

pytestmark = pytest.mark.skipif(not (PG_BIN / "pg_basebackup").exists(),
                                reason="PostgreSQL's pg_basebackup is not installed")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[PgServer, PgServer]]:
    primary = start_server()
    try:
        admin = create_engine(primary.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE citydesk"))
        admin.dispose()
        engine = make_engine(primary.url("citydesk"))
        migrate(engine)
        seed(engine, 300, 7, datetime.now(UTC), progress=False, days=3)
        engine.dispose()
        standby = start_standby(primary)
        try:
            yield primary, standby
        finally:
            standby.remove()
    finally:
        primary.remove()


@pytest.fixture
def urls(servers, monkeypatch) -> Iterator[tuple[str, str]]:
    primary, standby = servers
    urls = primary.url("citydesk"), standby.url("citydesk")
    monkeypatch.setenv("DATABASE_URL", urls[0])
    monkeypatch.setenv("DATABASE_READ_URL", urls[1])
    monkeypatch.setenv("CITYDESK_READ_YOUR_WRITES_SECONDS", str(WINDOW_SECONDS))
    st.cache_data.clear()
    st.cache_resource.clear()
    replica = make_engine(urls[1])
    _caught_up(make_engine(urls[0]), replica)
    yield urls
    with replica.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    replica.dispose()


def _caught_up(primary: Engine, replica: Engine, timeout: float = 20) -> None:
    with primary.connect() as conn:
        lsn = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    deadline = time.monotonic() + timeout
    with replica.connect() as conn:
        while conn.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"),
                           {"lsn": lsn}).scalar_one() is not True:
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.05)
    primary.dispose()


def _screen() -> None:
    """A page that reads through ui.data and can reassign a ticket, as the department page does."""
    from datetime import UTC, datetime

    import streamlit as st
    from sqlalchemy import text

    from access.permissions import Actor
    from desk.actions import reassign
    from queries.filters import Filters
    from ui import data

    target = st.query_params["to"]
    if st.button("move", key="move"):
        result = reassign(data.engine(), [st.query_params["ticket"]], target, "replica test",
                          Actor("tester", "dispatcher"))
        assert result.ok, result.refusals
        data.clear_after_write()
    counts = data.guarded(data.load_counters, Filters(as_of=datetime.now(UTC).replace(
        microsecond=0), departments=(target,)))
    st.metric("open", counts.open)
    st.metric("primary", str(data.reads_primary()))
    with data.read_engine().connect() as conn:
        st.metric("replica", str(conn.execute(text("SELECT pg_is_in_recovery()")).scalar()))


def _session(ticket: str, to: str) -> AppTest:
    at = AppTest.from_function(_screen, default_timeout=60)
    at.query_params["ticket"] = ticket
    at.query_params["to"] = to
    return at.run()


def _shown(at: AppTest) -> dict[str, str]:
    assert not at.exception
    return {m.label: m.value for m in at.metric}


def _open_ticket(url: str) -> tuple[str, str]:
    """An open ticket's external id, and a department it is not in."""
    engine = make_engine(url)
    with engine.connect() as conn:
        ticket, dept = conn.execute(select(tickets.c.external_id, tickets.c.department_id)
                                    .where(tickets.c.ended_at.is_(None)).limit(1)).one()
        other = conn.execute(select(departments.c.code).where(departments.c.id != dept)
                             .order_by(departments.c.id).limit(1)).scalar_one()
    engine.dispose()
    return ticket, other


def test_reads_go_to_the_replica_and_writes_to_the_primary(urls):
    from ui import data

    with data.read_engine().connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
    with data.engine().connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is False
    ticket, to = _open_ticket(urls[0])
    at = _session(ticket, to)
    assert _shown(at)["replica"] == "True" and _shown(at)["primary"] == "False"


def test_the_writer_reads_its_own_change_from_the_primary_until_the_window_ends(urls):
    primary, replica = make_engine(urls[0]), make_engine(urls[1])
    ticket, to = _open_ticket(urls[0])
    writer, other = _session(ticket, to), _session(ticket, to)
    before = int(_shown(writer)["open"])
    with replica.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()"))

    writer.button(key="move").click().run()
    shown = _shown(writer)
    assert shown["primary"] == "True" and int(shown["open"]) == before + 1
    with primary.connect() as conn:  # the write went to the primary...
        moved = conn.execute(select(departments.c.code).join(
            tickets, tickets.c.department_id == departments.c.id)
            .where(tickets.c.external_id == ticket)).scalar_one()
    assert moved == to
    assert int(_shown(other.run())["open"]) == before  # ...and others still read the replica

    time.sleep(WINDOW_SECONDS + 0.2)
    st.cache_data.clear()
    shown = _shown(writer.run())
    assert shown["primary"] == "False" and int(shown["open"]) == before  # the paused replica

    with replica.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    _caught_up(primary, replica)
    st.cache_data.clear()
    assert int(_shown(writer.run())["open"]) == before + 1
    replica.dispose()
