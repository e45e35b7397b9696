"""Write transactions that serialise writers, and what to do when two writers collide.

Every writer of tickets (the desk's actions, imports and syncs, the simulation) takes its rows'
locks in one order, by id, so two of them cannot wait on each other. What still collides (a
deadlock the database resolved by aborting one side, a serialisation failure, SQLite's lock held
past its busy timeout) is "contention": the victim retries its whole transaction on fresh state a
few times, and names it as such when it persists, never as an unreachable database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

ATTEMPTS = 4
# PostgreSQL's SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available, and
# unique_violation: two writers inserting the same new ticket (two imports of one new file, a
# sync and an import) both passed the check for it; the loser, retried, finds it there.
_CONTENTION_CODES = {"40001", "40P01", "55P03", "23505"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "unique constraint failed")

T = TypeVar("T")


class Contention(Exception):
    """Writers collided on the same rows every time, `attempts` times in a row."""

    def __init__(self, attempts: int, cause: str) -> None:
        super().__init__(f"other writers held the same tickets; gave up after {attempts} tries "
                         f"({cause})")
        self.attempts = attempts
        self.cause = cause


def is_contention(error: BaseException) -> bool:
    """A deadlock, a serialisation failure, a lock held too long or a unique violation (another
    writer made the same row first): worth retrying, the same way for every writer."""
    if not isinstance(error, DBAPIError) or error.orig is None:
        return False
    code = getattr(error.orig, "pgcode", None)
    if code is not None:
        return code in _CONTENTION_CODES
    return any(words in str(error.orig).lower() for words in _SQLITE_BUSY)


def contention_cause(error: BaseException) -> str:
    """The first line of the driver's message, e.g. 'deadlock detected' (never the statement or
    its parameters, which hold the tickets' texts), at most 200 characters."""
    orig = getattr(error, "orig", None) or error
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run `work` (one whole transaction) again after contention, with a short random pause;
    raise Contention when every attempt collided."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as error:
            if not is_contention(error):
                raise
            if attempt == attempts:
                raise Contention(attempts, contention_cause(error)) from None
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    raise AssertionError("unreachable")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction, committed unless an exception leaves it.

    On SQLite it starts with BEGIN IMMEDIATE, taking the write lock before the first read: a
    second writer then waits (busy_timeout) and reads what the first committed. The driver's own
    deferred BEGIN would let both read, and the second would fail to upgrade to a write lock (or
    write over what it read before the first committed). On PostgreSQL writers lock their rows
    (`SELECT … FOR UPDATE`, by id) and compare versions, under READ COMMITTED.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execution_options(isolation_level="AUTOCOMMIT")  # the driver must not BEGIN
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
