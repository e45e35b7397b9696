"""The built-in sign-in under attack (issue 18, findings 6 and 9), on both databases.

Parallel guesses are decided one after another with the user's row locked, so the back-off and
the lock hold; a name that is no user's gets the same answers, in the same time, as one that is;
system actors' names are not user names.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text, update

from access import users
from db.schema import users as users_table
from db.transactions import write_transaction
from tests.factory import reference

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def cheap_hashes(monkeypatch) -> None:
    """Argon2 at its cheapest, for tests that count checks rather than time them: forty real
    verifications at once would take minutes on a busy machine."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    dummy = hasher.hash("an unknown user's password is never this")
    monkeypatch.setattr(users, "_hasher", lambda: hasher)
    monkeypatch.setattr(users, "_dummy_hash", lambda: dummy)


@pytest.fixture
def desk(engine):
    reference(engine)
    users.add_user(engine, "lena", "leadership", PASSWORD)
    return engine


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Every verification of a real user's password hash (not the stand-in's), as it happens."""
    seen: list[str] = []
    real = users._matches

    def counting(password_hash, password):
        if password_hash is not None:
            seen.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(users, "_matches", counting)
    return seen


def _burst(engine, n: int, name: str = "lena") -> list[users.SignIn]:
    barrier = threading.Barrier(n)
    results: list[users.SignIn | None] = [None] * n

    def guess(i: int) -> None:
        barrier.wait()
        results[i] = users.authenticate(engine, name, f"wrong guess {i}", now=NOW)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


def test_a_parallel_burst_without_back_off_locks_after_five_checks(cheap_hashes, desk, checks,
                                                                   monkeypatch):
    monkeypatch.setattr(users, "_delay", lambda _failures: timedelta())
    results = _burst(desk, 40)
    assert len(checks) == 5
    codes = [r.refusal for r in results]
    assert codes.count("bad_credentials") == 4 and codes.count("locked") == 36
    assert users.authenticate(desk, "lena", PASSWORD, now=NOW).refusal == "locked"


def test_a_parallel_burst_meets_the_back_off_after_one_check(cheap_hashes, desk, checks):
    results = _burst(desk, 12)
    assert len(checks) == 1
    assert sorted(r.refusal for r in results) == ["bad_credentials"] + ["wait"] * 11


def _answers(engine, name: str) -> list[tuple[str | None, datetime | None]]:
    """A scripted series of wrong passwords: too soon, spaced, until locked and after."""
    at, out = NOW, []
    for step in range(8):
        result = users.authenticate(engine, name, "wrong guess", now=at)
        out.append((result.refusal, result.retry_at))
        too_soon = users.authenticate(engine, name, "wrong guess", now=at)
        out.append((too_soon.refusal, too_soon.retry_at))
        at = (result.retry_at or at) + timedelta(seconds=step % 2)
    return out


def test_unknown_and_known_names_get_the_same_answers(cheap_hashes, desk):
    known = _answers(desk, "lena")
    unknown = _answers(desk, "nobody-like-this")
    assert [code for code, _ in known][:4] == ["bad_credentials", "wait", "bad_credentials",
                                               "wait"]
    assert "locked" in [code for code, _ in known]
    assert unknown == known


def _medians_ms(engine, tries: list[tuple[str, str]], n: int = 9) -> list[float]:
    """The median time of each (name, password) sign-in, the tries interleaved so that the
    machine's load at any moment weighs on all of them alike."""
    times: list[list[float]] = [[] for _ in tries]
    for i in range(n):
        for (name, password), spent in zip(tries, times, strict=True):
            start = time.perf_counter()
            users.authenticate(engine, name, password, now=NOW + timedelta(hours=i))
            spent.append((time.perf_counter() - start) * 1000)
    return [statistics.median(spent) for spent in times]


def test_unknown_known_and_locked_names_take_the_same_time(desk):
    users.authenticate(desk, "lena", "wrong", now=NOW)  # warm up the hasher and the pool
    for minute in range(5):  # lock lena for the whole measurement
        users.authenticate(desk, "lena", "wrong guess", now=NOW + timedelta(days=1, minutes=minute))
    locked, unknown = _medians_ms(desk, [("lena", "wrong guess"), ("nobody", "wrong guess")])
    assert users.authenticate(desk, "lena", PASSWORD, now=NOW).refusal == "locked"
    # One argon2 verification (tens of ms) each way; a locked account used to answer in ~1 ms.
    assert abs(locked - unknown) < max(10.0, 0.3 * unknown), (locked, unknown)
    assert locked > 10.0


@pytest.mark.parametrize("name", ["import", "Simulator", "sync", "vk", "telegram", "system",
                                  "operator", "kiosk: situation room"])
def test_system_actors_names_are_not_user_names(desk, name):
    with pytest.raises(users.UserError, match="the system writes its own actions"):
        users.add_user(desk, name, "viewer", PASSWORD)


def test_a_disabled_account_answers_the_right_password_as_a_wrong_one_in_the_same_time(desk):
    users.add_user(desk, "mira", "leadership", PASSWORD)
    users.authenticate(desk, "lena", "wrong", now=NOW)  # warm up the hasher and the pool
    for name in ("lena", "mira"):
        users.set_password(desk, name, PASSWORD)  # no failure left over
        users.disable_user(desk, name)
    right, wrong = [], []
    for i in range(8):
        at = NOW + timedelta(hours=1 + i)
        for name, password, answers in (("lena", PASSWORD, right), ("mira", "wrong!", wrong)):
            start = time.perf_counter()
            result = users.authenticate(desk, name, password, now=at)
            answers.append((result.refusal, result.retry_at,
                            (time.perf_counter() - start) * 1000))
    assert [a[:2] for a in right] == [a[:2] for a in wrong]
    assert {a[0] for a in right} == {"bad_credentials", "locked"}
    fast, slow = (statistics.median(a[2] for a in answers) for answers in (right, wrong))
    assert abs(fast - slow) < max(10.0, 0.3 * slow), (fast, slow)


def test_the_password_check_holds_no_write_lock(cheap_hashes, desk, monkeypatch):
    """While argon2 checks a password, another writer of the same user's row goes through."""
    real, waited = users._matches, []

    def check_while_writing(password_hash, password):
        start = time.perf_counter()
        with write_transaction(desk) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            conn.execute(update(users_table).where(users_table.c.name == "lena")
                         .values(email="lena@city.example"))
        waited.append(time.perf_counter() - start)
        return real(password_hash, password)

    monkeypatch.setattr(users, "_matches", check_while_writing)
    assert users.authenticate(desk, "lena", PASSWORD, now=NOW).ok
    assert users.authenticate(desk, "lena", "wrong guess", now=NOW + timedelta(hours=1)) \
        .refusal == "bad_credentials"
    assert len(waited) == 2 and max(waited) < 1.0
