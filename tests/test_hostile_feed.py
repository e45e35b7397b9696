"""`python -m db sync URL --once` against a hostile GeoReport v2 server (tests/hostile_open311.py),
each run in a fresh process as cron or a restart runs it, bounded in time and memory: a gzip
bomb, a 2 GiB body, a byte every 10 s, 429, keys echoed in 401/400/500 bodies, a 5,000-digit id,
a single request, three in one second; progress and clean output asserted, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import func, select

from db.config import ROOT
from db.schema import tickets
from feeds import health as feeds
from feeds.sync import feed_name
from tests.hostile_open311 import HostileServer, bomb
from tests.open311_server import iso

KEY = "k3y+S3cr3t/Zz=="  # a key with characters URL-encoding changes
SPELLINGS = (KEY, quote(KEY, safe=""), quote_plus(KEY, safe=""), quote(KEY, safe="").lower())
MEMORY_MB = 400  # the most a run may take, gzip bomb and 2 GiB body included
SECONDS = 60  # the longest a test lets one run take


def _record(key: str, at: datetime, **more) -> dict:
    return {"service_request_id": key, "status": "open", "service_name": "Pothole",
            "requested_datetime": iso(at), "updated_datetime": iso(at), **more}


NOW = datetime.now(UTC).replace(microsecond=0)
SINCE = (NOW - timedelta(days=3)).isoformat()


def run_sync(db_url: str, url: str, *extra: str, env: dict | None = None,
             timeout: float = SECONDS) -> tuple[int, str, str, float, float]:
    """One `sync --once` in a fresh process: exit code, stdout, stderr, seconds, peak MB."""
    environment = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT),
                   "CITYDESK_FEED_REQUEST_SECONDS": "5", "CITYDESK_FEED_RUN_SECONDS": "20",
                   **(env or {})}
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "db", "sync", url, "--once", *extra],
                               cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    out: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=n, s=s: out.__setitem__(n, s.read()))
               for n, s in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - started > timeout:
            process.kill()
            pytest.fail(f"sync ran past {timeout} s")
        time.sleep(0.05)
    seconds = time.monotonic() - started
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return (process.returncode, out["out"].decode(), out["err"].decode(), seconds,
            usage.ru_maxrss / 1024)


def health(engine):
    with engine.connect() as conn:
        return {h.name: h for h in feeds.health(conn, datetime.now(UTC))}


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tickets)).scalar_one()


@pytest.mark.parametrize("mode", ["bomb", "huge"])
def test_an_answer_too_large_fails_one_run_in_one_line_and_bounded_memory(engine, db_url, mode):
    assert len(bomb()) < 1_100_000  # made before the server answers: 1 MB that inflates to 1 GB
    server = HostileServer([_record("A-1", NOW - timedelta(hours=5))])
    server.mode = mode
    with server.running():
        code, out, err, seconds, peak = run_sync(db_url, server.url, "--since", SINCE)
    assert code == 1 and out == "" and err.count("\n") == 1, err
    assert "an answer larger than 50 MB" in err and "Traceback" not in err
    assert peak < MEMORY_MB and seconds < SECONDS
    [feed] = health(engine).values()
    assert feed.failing and "larger than 50 MB" in feed.last_error


def test_a_server_that_trickles_a_byte_every_10_s_is_given_up_within_the_run_bound(
        engine, db_url):
    server = HostileServer([_record("A-1", NOW - timedelta(hours=5))])
    server.mode = "trickle"
    with server.running():
        code, _, err, seconds, _ = run_sync(db_url, server.url, "--since", SINCE,
                                            env={"CITYDESK_FEED_RUN_SECONDS": "12"})
    assert code == 1 and err.count("\n") == 1, err
    assert seconds < 12 + 5 + 10  # the run's bound, one request's, and starting Python
    assert "did not answer in time" in err or "time is spent" in err


def test_429_is_waited_out_as_told_and_never_splits_the_window(engine, db_url):
    server = HostileServer([_record(f"A-{i}", NOW - timedelta(hours=5 + i)) for i in range(3)])
    server.mode, server.retry_after, server.limit_times = "429", "2", 1
    with server.running():
        code, out, err, _, _ = run_sync(db_url, server.url, "--since", SINCE)
    assert code == 0, err
    assert "3 inserted" in out
    assert server.times[1] - server.times[0] >= 2.0  # waited as told
    # the refused window asked again as it was, never split; no other query asked twice
    assert server.asked[1] == server.asked[0]
    assert len(set(server.asked)) == len(server.asked) - 1


def test_a_429_asking_longer_than_the_run_may_wait_ends_the_run_at_once(engine, db_url):
    server = HostileServer([_record("A-1", NOW - timedelta(hours=5))])
    server.mode, server.retry_after, server.limit_times = "429", "120", 100
    with server.running():
        code, _, err, seconds, _ = run_sync(db_url, server.url, "--since", SINCE)
    assert code == 1 and err.count("\n") == 1 and "asks to wait 120 s" in err, err
    assert len(server.times) == 1 and seconds < 15  # one request, no split window


@pytest.mark.parametrize("mode", ["401", "400", "500"])
def test_a_key_echoed_by_the_server_reaches_no_output_and_no_table(engine, db_url, mode):
    server = HostileServer([_record("A-1", NOW - timedelta(hours=5))])
    server.mode = mode
    with server.running():
        code, out, err, _, _ = run_sync(db_url, server.url, "--since", SINCE, "--api-key", KEY,
                                        env={"CITYDESK_FEED_RUN_SECONDS": "8"})
        assert code == 1 and err.count("\n") == 1, err
    [feed] = health(engine).values()
    kept = out + err + str(feed)
    assert feed.failing and "***" in feed.last_error
    assert not [s for s in SPELLINGS if s in kept], kept


def test_a_url_password_is_in_no_feed_name_and_no_output(engine, db_url):
    server = HostileServer([_record("A-1", NOW - timedelta(hours=5))])
    url = server.url.replace("http://", "http://city:P4ssw0rd@")
    with server.running():
        code, out, err, _, _ = run_sync(db_url, url, "--since", SINCE)
    assert code == 0, err
    assert list(health(engine)) == [feed_name(server.url)]
    assert "P4ssw0rd" not in out + err


def test_a_5000_digit_id_is_one_skipped_record_and_the_rest_is_taken(engine, db_url):
    server = HostileServer([_record(f"A-{i}", NOW - timedelta(hours=5 + i)) for i in range(4)])
    server.put([{**_record("X", NOW - timedelta(hours=2)), "service_request_id": "X"}])
    # the server speaks raw JSON: the id a 5,000-digit number, not a string
    original = server.answer

    def answer(path, query):
        status, body = original(path, query)
        return status, body.replace('"service_request_id": "X"',
                                    '"service_request_id": ' + "9" * 5000)
    server.answer = answer
    with server.running():
        code, out, err, _, _ = run_sync(db_url, server.url, "--since", SINCE)
    assert code == 0 and "4 inserted" in out and "1 skipped" in out, err
    [line] = err.splitlines()
    assert line.startswith("sync: request 99999999999999999999… (5,000 characters): an id longer")
    assert count(engine) == 4
    [feed] = health(engine).values()
    assert not feed.failing and "an id longer than 64 characters" in feed.last_error


@pytest.mark.parametrize("made", [1, 3])
def test_one_request_or_three_in_one_second_sync_in_every_fresh_process(engine, db_url, made):
    at = NOW - timedelta(hours=3)
    server = HostileServer([_record(f"S-{i}", at) for i in range(made)], cap=50)
    with server.running():
        first = run_sync(db_url, server.url, "--since", SINCE)
        server.close_ticket("S-0", NOW - timedelta(minutes=5))
        second = run_sync(db_url, server.url)
    assert first[0] == 0 and f"{made} inserted" in first[1], first[2]
    assert second[0] == 0 and "1 updated" in second[1], second[2]
    with engine.connect() as conn:
        assert conn.execute(select(tickets.c.status).where(
            tickets.c.external_id == "S-0")).scalar_one() == "closed"
        assert feeds.cursor(conn, feed_name(server.url))["largest"] == made


def test_open_tickets_are_read_again_when_a_window_fails(engine, db_url):
    server = HostileServer([_record(f"O-{i}", NOW - timedelta(hours=5 + i)) for i in range(3)])
    with server.running():
        assert run_sync(db_url, server.url, "--since", SINCE)[0] == 0
        server.close_ticket("O-1", NOW - timedelta(minutes=5))
        server.mode, server.windows_only = "500", True
        code, _, err, _, _ = run_sync(db_url, server.url, env={"CITYDESK_FEED_RUN_SECONDS": "8"})
    assert code == 1 and err.count("\n") == 1 and "HTTP 500" in err, err
    with engine.connect() as conn:
        assert conn.execute(select(tickets.c.status).where(
            tickets.c.external_id == "O-1")).scalar_one() == "closed"


def test_since_on_a_running_feed_reads_again_from_there_and_says_so(engine, db_url):
    old = NOW - timedelta(days=10)
    server = HostileServer([_record("N-1", NOW - timedelta(hours=5))])
    with server.running():
        assert run_sync(db_url, server.url, "--since", SINCE)[0] == 0
        server.put([_record("OLD-1", old)])  # published late, long before the watermark
        code, out, err, _, _ = run_sync(db_url, server.url, "--since",
                                        (old - timedelta(days=1)).isoformat())
    assert code == 0 and "1 inserted" in out, err
    assert "--since given: reading again from" in err


def test_a_url_that_is_not_http_is_refused_at_once(db_url):
    code, out, err, _, _ = run_sync(db_url, "not-a-url", timeout=30)
    assert (code, out, err) == (2, "", "sync: not an http:// or https:// URL: 'not-a-url'\n")


def test_a_long_url_names_its_feed_within_the_column(engine, db_url):
    server = HostileServer([_record("L-1", NOW - timedelta(hours=5))])
    url = server.url + "/" + "x" * 250
    with server.running():
        code, out, err, _, _ = run_sync(db_url, url, "--since", SINCE)
    assert code == 0 and "1 inserted" in out, err
    [name] = health(engine)
    assert name == feed_name(url) and len(name) <= 200


def test_records_in_the_future_and_contradicting_duplicates_cost_one_record_each(engine):
    from feeds.open311 import Open311
    from feeds.sync import Sync

    server = HostileServer([
        _record("F-1", NOW - timedelta(hours=5), updated_datetime="2199-01-01T00:00:00Z"),
        _record("D-1", NOW - timedelta(hours=4)),
        _record("OK-1", NOW - timedelta(hours=3))])
    original = server.answer
    twice = {**_record("D-1", NOW - timedelta(hours=4)), "status": "closed",
             "closed_datetime": iso(NOW - timedelta(hours=1)),
             "updated_datetime": iso(NOW - timedelta(hours=1))}

    def answer(path, query):
        status, body = original(path, query)
        if body.startswith("[{") and '"D-1"' in body:  # D-1 given again, updated later
            import json
            body = json.dumps([*json.loads(body), twice])
        return status, body
    server.answer = answer
    with server.running():
        sync = Sync(engine, Open311(server.url, backoff=0), feed_name(server.url))
        report = sync.run(NOW - timedelta(days=1))
    assert (report.inserted, [k for k, _ in report.skips]) == (2, ["F-1"])
    assert "in the future" in report.skips[0][1]
    assert any("D-1 came twice" in n for n in report.notes)
    with engine.connect() as conn:
        assert conn.execute(select(tickets.c.status).where(
            tickets.c.external_id == "D-1")).scalar_one() == "closed"
        newest = conn.execute(select(func.max(tickets.c.updated_at))).scalar_one()
    assert newest < NOW + timedelta(days=1)
