"""`python -m db sync`: a city's dispatch system followed through Open311, against a GeoReport v2
server on loopback that behaves as real ones do (90-day windows, answers cut at 50 with no paging,
intermittent 5xx and malformed pages), serving the real samples of tests/data/; on both
databases, and compared with a file import of the same exports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import aliased

from db.__main__ import main
from db.config import ROOT
from db.engine import make_engine
from db.schema import categories, channels, departments, districts, ticket_events, tickets
from feeds import health as feeds
from feeds import open311 as open311_module
from feeds.importer import import_file
from feeds.open311 import Open311
from feeds.sync import Sync, feed_name
from queries.filters import Filters
from queries.summary import summary
from tests.conftest import fresh_database
from tests.open311_server import TIME_FIELDS, Open311Server, iso, open311_records

DATA = Path(__file__).parent / "data"
SAMPLES = ("la311_2017_sample.csv", "nyc311_2022_sample.csv", "boston311_sample.csv")
SINCE = datetime(2017, 12, 1, tzinfo=UTC)
LOADED = 1498 + 924 + 100  # every record but LA's one closed before it was made
AS_OF = ("2017-12-31T12:00:00-08:00", "2022-05-15T12:00:00-04:00", "2022-01-20T09:00:00-05:00",
         "2026-01-01T00:00:00+00:00")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [r for name in SAMPLES for r in open311_records(DATA / name)]


@pytest.fixture
def reference(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A second fresh database of the same kind, holding a file import of the same exports."""
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with fresh_database(request, kind, tmp_path, "reference.db") as url:
        engine = make_engine(url)
        for sample in SAMPLES:
            import_file(engine, DATA / sample)  # each through its shipped mapping, in its zone
        yield engine
        engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every ticket and every event, by external id and names (never by surrogate ids)."""
    source, target = aliased(departments), aliased(departments)
    with engine.connect() as conn:
        rows = conn.execute(
            select(tickets.c.external_id, categories.c.name, departments.c.name, channels.c.name,
                   districts.c.name, *(c for c in tickets.c if c.name not in (
                       "id", "external_id", "category_id", "department_id", "channel_id",
                       "district_id")))
            .join(categories, categories.c.id == tickets.c.category_id)
            .join(departments, departments.c.id == tickets.c.department_id)
            .join(channels, channels.c.id == tickets.c.channel_id)
            .outerjoin(districts, districts.c.id == tickets.c.district_id)).all()
        events = conn.execute(
            select(tickets.c.external_id, ticket_events.c.kind, ticket_events.c.at,
                   ticket_events.c.actor, source.c.name, target.c.name, ticket_events.c.note)
            .join(tickets, tickets.c.id == ticket_events.c.ticket_id)
            .outerjoin(source, source.c.id == ticket_events.c.from_department_id)
            .outerjoin(target, target.c.id == ticket_events.c.to_department_id)).all()
    return {"tickets": sorted(map(tuple, rows)), "events": sorted(map(tuple, events), key=str)}


def figures(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [summary(conn, Filters(as_of=datetime.fromisoformat(t), tz="America/New_York"))
                for t in AS_OF]


def make_sync(engine: Engine, server: Open311Server, **options) -> Sync:
    return Sync(engine, Open311(server.url, backoff=0), feed_name(server.url), **options)


def test_one_sync_loads_every_record_once_with_the_figures_of_a_file_import(
        engine, reference, records):
    server = Open311Server(records, cap=50, fail_every=17, malformed_every=23)
    with server.running():
        # asked for a year at a time, the server refuses until the windows are under 90 days
        report = make_sync(engine, server, span=timedelta(days=365)).run(SINCE)
    assert (report.inserted, report.updated, report.unchanged) == (LOADED, 0, 0)
    assert [key for key, _ in report.skips] == ["1-870332239"]
    assert {"capped", "503", "malformed", "refused"} <= set(server.log)
    with engine.connect() as conn:
        created = conn.execute(select(func.count()).where(
            ticket_events.c.kind == "created")).scalar_one()
        [health] = feeds.health(conn, datetime.now(UTC))
        newest = conn.execute(select(func.max(tickets.c.updated_at))).scalar_one()
    assert created == LOADED
    assert snapshot(engine) == snapshot(reference)
    assert figures(engine) == figures(reference)
    assert health.counts == {"inserted": LOADED, "skipped": 1}
    # the skipped record is the feed's last error, dated with the run: not a failing feed
    assert health.last_error.startswith("request 1-870332239 skipped: resolved 2017-12-30")
    assert not health.failing and health.last_success_at is not None
    assert health.last_data_at == newest


def test_the_next_sync_brings_exactly_what_changed_upstream(engine, records):
    server = Open311Server(records, cap=50, fail_every=19)
    with server.running():
        sync = make_sync(engine, server)
        sync.run(SINCE)
        before = snapshot(engine)
        now = datetime.now(UTC).replace(microsecond=0)
        closing = ["54049402", "1-870562171", "101004143000"]  # open in NYC, LA, Boston
        server.close_ticket(closing[0], now - timedelta(minutes=5))
        server.close_ticket(closing[1], now - timedelta(minutes=4))
        server.close_ticket(closing[2], now - timedelta(minutes=3))
        made = [{**{k: v for k, v in records[i].items() if k not in TIME_FIELDS},
                 "service_request_id": f"NEW-{i}", "status": "open",
                 "requested_datetime": iso(now - timedelta(minutes=10 + i))} for i in range(3)]
        server.put(made)
        report = sync.run(SINCE)
    assert (report.inserted, report.updated) == (3, 3)
    after = snapshot(engine)
    changed = {row[0] for row in set(after["tickets"]) - set(before["tickets"])}
    assert changed == {*closing, "NEW-0", "NEW-1", "NEW-2"}
    assert {e[0] for e in set(after["events"]) - set(before["events"])} == changed
    statuses = {row[0]: row[5] for row in after["tickets"]}
    assert [statuses[k] for k in closing] == ["closed"] * 3


def _sync_process(db_url: str, server: Open311Server) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "db", "sync", server.url, "--once",
                             "--since", SINCE.isoformat()], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_sync_killed_midway_and_restarted_ends_with_the_same_database(
        engine, db_url, reference, records):
    server = Open311Server(records, cap=50, delay=0.03)
    with server.running():
        process = _sync_process(db_url, server)
        deadline = time.monotonic() + 120
        while server.served < 150 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        process.kill()
        process.wait(timeout=30)
        with engine.connect() as conn:
            midway = conn.execute(select(func.count()).select_from(tickets)).scalar_one()
            mark = feeds.cursor(conn, feed_name(server.url))
        assert 0 < midway < LOADED and mark is not None  # some batches were written
        server.delay = 0
        process = _sync_process(db_url, server)
        out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert f"{LOADED - midway} inserted" in out
    assert snapshot(engine) == snapshot(reference)


def test_a_server_that_dies_midway_fails_the_run_in_one_line_and_the_next_run_resumes(
        engine, db_url, reference, records, capsys, monkeypatch):
    monkeypatch.setattr(open311_module, "BACKOFF_SECONDS", 0)
    server = Open311Server(records, cap=50)
    server.die_after = 120
    with server.running():
        code = main(["--database", db_url, "sync", server.url, "--once", "--since",
                     SINCE.isoformat()])
        err = capsys.readouterr().err
        with engine.connect() as conn:
            [health] = feeds.health(conn, datetime.now(UTC))
        assert code == 1 and err.count("\n") == 2  # LA's bad record, then the reason
        assert err.splitlines()[-1].startswith(f"sync: {feed_name(server.url)}: HTTP 500")
        assert health.failing and health.last_error.startswith("HTTP 500 (5 tries)")
        server.die_after = None
        assert main(["--database", db_url, "sync", server.url, "--once"]) == 0
    assert snapshot(engine) == snapshot(reference)


def test_a_sync_that_other_writers_block_every_time_fails_in_one_line_and_resumes(
        engine, db_url, reference, records, capsys, monkeypatch):
    """Other writers hold a batch's tickets through every try: the run stops there, the feed
    is failing with the reason, the command says it in one line, and the next run completes."""
    from sqlalchemy.exc import OperationalError

    from feeds import sync as sync_module

    class Deadlock(Exception):
        pgcode = "40P01"

        def __str__(self) -> str:
            return "deadlock detected"

    real = sync_module.TicketWriter.write
    writes = []

    def held(self, batch):
        writes.append(len(batch))
        if len(writes) > 1:  # the first batch is written, every later one collides
            raise OperationalError("UPDATE tickets", {}, Deadlock())
        return real(self, batch)
    monkeypatch.setattr(sync_module.TicketWriter, "write", held)
    monkeypatch.setattr("db.transactions.time.sleep", lambda _s: None)
    server = Open311Server(records, cap=50)
    with server.running():
        code = main(["--database", db_url, "sync", server.url, "--once", "--since",
                     SINCE.isoformat()])
        err = capsys.readouterr().err.splitlines()
        with engine.connect() as conn:
            [health] = feeds.health(conn, datetime.now(UTC))
            loaded = conn.execute(select(func.count()).select_from(tickets)).scalar_one()
        reason = "other writers held the same tickets; gave up after 4 tries (deadlock detected)"
        assert code == 1 and err[-1] == f"sync: {feed_name(server.url)}: {reason}"
        assert health.failing and health.last_error == reason
        assert 0 < loaded < LOADED
        monkeypatch.setattr(sync_module.TicketWriter, "write", real)
        assert main(["--database", db_url, "sync", server.url, "--once"]) == 0
    assert snapshot(engine) == snapshot(reference)


def test_once_exits_non_zero_with_one_line_when_the_server_is_unreachable(
        engine, db_url, capsys, monkeypatch):
    monkeypatch.setattr(open311_module, "BACKOFF_SECONDS", 0)
    server = Open311Server([])
    url = server.url
    server.httpd.server_close()  # nobody listens there now
    assert main(["--database", db_url, "sync", url, "--once", "--api-key", "s3cret"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the server" in err and "s3cret" not in err
    with engine.connect() as conn:
        [health] = feeds.health(conn, datetime.now(UTC))
    assert health.failing and health.last_success_at is None and "s3cret" not in str(health)


def test_requests_made_in_one_second_are_taken_with_a_note_rather_than_stop_the_feed(engine):
    at = "2024-05-01T10:00:00Z"
    same_second = [{"service_request_id": f"R-{i}", "status": "open", "service_name": "Pothole",
                    "requested_datetime": at} for i in range(5)]
    server = Open311Server(same_second, cap=3)
    with server.running():
        report = make_sync(engine, server).run(datetime(2024, 4, 1, tzinfo=UTC))
    # a window cannot part one second: what the server gives of it is taken, and said
    assert report.inserted == 3
    assert report.notes == ["3 requests made at 2024-05-01T10:00:00Z, as many as the largest "
                            "answer seen: the server may hold more of that second"]
    with engine.connect() as conn:
        [health] = feeds.health(conn, datetime.now(UTC))
    assert not health.failing and health.last_error == report.notes[0]


@pytest.mark.parametrize(("argv", "message"), [
    (["sync", "--once"], "sync: give the server's URL (or set CITYDESK_OPEN311_URL)\n"),
    (["sync", "http://127.0.0.1:9/v2", "--since", "yesterday"],
     "sync: --since is not an ISO-8601 instant: 'yesterday'\n"),
    (["sync", "http://127.0.0.1:9/v2", "--every", "0"],
     "sync: --every must be at least 1 second\n"),
])
def test_bad_arguments_exit_2_with_one_line(db_url, capsys, monkeypatch, argv, message):
    monkeypatch.delenv("CITYDESK_OPEN311_URL", raising=False)
    assert main(["--database", db_url, *argv]) == 2
    assert capsys.readouterr().err == message


def test_open_tickets_are_read_again_in_shorter_lists_when_the_server_refuses_long_ones(engine):
    boston = open311_records(DATA / "boston311_sample.csv")
    server = Open311Server(boston, cap=50)
    with server.running():
        sync = make_sync(engine, server)
        sync.run(SINCE)
        server.max_ids = 4
        server.close_ticket("101004143000", datetime.now(UTC) - timedelta(minutes=1))
        report = sync.run(SINCE)
    assert (report.reread, report.updated, report.unchanged) == (15, 1, 14)
    assert "refused" in server.log
