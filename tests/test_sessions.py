"""Sign-in sessions that outlive a reload, on both databases: resumed while live, and ended by
signing out, by the idle time (to the second), by a new password, or by disabling the user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from access import sessions, users
from db.schema import sign_in_sessions
from tests.factory import reference

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
IDLE = timedelta(minutes=30)


@pytest.fixture
def lena(engine: Engine) -> tuple[Engine, users.User]:
    reference(engine)
    return engine, users.add_user(engine, "lena", "dispatcher", "a long passphrase", now=NOW)


def _row(engine: Engine):
    with engine.connect() as conn:
        return conn.execute(select(sign_in_sessions)).one()


def test_a_session_resumes_its_user_and_stores_only_a_hash(lena):
    engine, user = lena
    token = sessions.start(engine, user.id, now=NOW)
    assert sessions.resume(engine, token, IDLE, now=NOW + timedelta(minutes=5)) == user
    row = _row(engine)
    assert row.token_hash != token and token not in row.token_hash and len(row.token_hash) == 64
    assert sessions.resume(engine, token + "x", IDLE, now=NOW) is None
    assert sessions.resume(engine, "", IDLE, now=NOW) is None


def test_idle_for_exactly_the_idle_time_is_still_live_one_second_more_is_not(lena):
    engine, user = lena
    token = sessions.start(engine, user.id, now=NOW)
    assert sessions.resume(engine, token, IDLE, now=NOW + IDLE) == user
    assert _row(engine).seen_at == NOW + IDLE  # using it counts as being seen
    later = NOW + 2 * IDLE + timedelta(seconds=1)
    assert sessions.resume(engine, token, IDLE, now=later) is None
    assert _row(engine).ended_at == NOW + 2 * IDLE  # it ended when it went idle
    assert sessions.resume(engine, token, IDLE, now=NOW + IDLE) is None  # and stays ended


def test_seen_is_written_at_most_once_a_minute(lena):
    engine, user = lena
    token = sessions.start(engine, user.id, now=NOW)
    sessions.resume(engine, token, IDLE, now=NOW + timedelta(seconds=59))
    assert _row(engine).seen_at == NOW
    sessions.resume(engine, token, IDLE, now=NOW + timedelta(seconds=60))
    assert _row(engine).seen_at == NOW + timedelta(seconds=60)


def test_signing_out_ends_the_session_everywhere(lena):
    engine, user = lena
    token = sessions.start(engine, user.id, now=NOW)
    other = sessions.start(engine, user.id, now=NOW)  # another browser
    sessions.end(engine, token, now=NOW + timedelta(minutes=1))
    assert sessions.resume(engine, token, IDLE, now=NOW + timedelta(minutes=2)) is None
    assert sessions.resume(engine, other, IDLE, now=NOW + timedelta(minutes=2)) == user


def test_a_new_password_or_disabling_ends_the_users_sessions(lena):
    engine, user = lena
    token = sessions.start(engine, user.id)
    users.set_password(engine, "lena", "another long passphrase")
    assert sessions.resume(engine, token, IDLE) is None
    token = sessions.start(engine, user.id)
    assert sessions.resume(engine, token, IDLE) == user
    users.disable_user(engine, "lena")
    assert sessions.resume(engine, token, IDLE) is None
