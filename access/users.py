"""The people who may open the dashboard, and the built-in sign-in with its lockout.

Passwords are kept only as argon2 hashes. Failed sign-ins in a row first slow down (each must wait
longer after the previous one) and then lock the account for a while; an unknown name costs the
same hashing work as a known one, so timing tells nothing about which names exist. Nothing here
logs or returns a password or a hash.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, StatementError

from access.permissions import Actor
from access.tokens import digest
from db.config import lock_minutes, max_failures
from db.reference import find_department
from db.schema import USER_ROLES, departments, sign_in_sessions, sign_in_throttle, users
from db.transactions import retrying, write_transaction

log = logging.getLogger("citydesk.auth")
MIN_PASSWORD = 8
# After the n-th failure in a row the next attempt waits min(2 ** (n - 1), 30) seconds.
MAX_DELAY_S = 30
# Names the system's own writers put in the audit log: no user may take one, or the log and undo
# could not tell a person from an import.
SYSTEM_ACTORS = frozenset({"import", "simulator", "sync", "open311", "feed", "vk", "telegram",
                           "intake", "system", "operator", "department", "resident", "seed",
                           "unknown", "kiosk"})


# A role is not a person: a user called so would read, in the audit log and in Undo, like the
# role or like the demo history's own actions.
ROLE_NAMES = frozenset({*USER_ROLES, "leader", "head", "wall", "admin", "dispatch"})


class UserError(ValueError):
    """A request about users that cannot be done, said in one line (never with a secret)."""


@dataclass(frozen=True)
class User:
    """A user as the pages and actions see them: no password hash, no lockout state."""

    id: int
    name: str
    role: str
    department: str | None  # a head's own department (code)
    email: str | None
    disabled: bool


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: the user, or a refusal code with when to retry.

    Codes: `bad_credentials` (wrong name or password, or a disabled account whatever the
    password), `wait` (too soon after a failure), `locked` (too many failures).
    """

    user: User | None
    refusal: str | None = None
    retry_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so that it takes as long."""
    return _hasher().hash("an unknown user's password is never this")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher().hash(password)


def _matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@contextmanager
def _secrets_hidden() -> Iterator[None]:
    """Database errors carry their statement's parameters in their text; here those may be a
    hash, so they are hidden before the error goes on to whoever logs or prints it."""
    try:
        yield
    except StatementError as error:
        error.hide_parameters = True
        raise


def actor_for(user: User) -> Actor:
    """The actor the user's actions are done as: their name, role and (for a head) department."""
    return Actor(user.name, user.role, user.department)


def _select():
    u = users.c
    return (select(u.id, u.name, u.role, departments.c.code.label("department"), u.email,
                   u.disabled, u.password_hash, u.failed_count, u.locked_until, u.last_failed_at)
            .select_from(users.outerjoin(departments, departments.c.id == u.department_id)))


def _user(row) -> User:
    return User(row.id, row.name, row.role, row.department, row.email, bool(row.disabled))


def find_user(conn: Connection, name: str) -> User | None:
    row = conn.execute(_select().where(users.c.name == name.strip())).first()
    return _user(row) if row else None


def find_by_email(conn: Connection, email: str) -> User | None:
    """The user single sign-on names by e-mail (case does not matter)."""
    row = conn.execute(_select().where(users.c.email == email.strip().lower())).first()
    return _user(row) if row else None


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(_select().where(users.c.id == user_id)).first()
    return _user(row) if row else None


def has_users(conn: Connection) -> bool:
    return conn.execute(select(func.count()).select_from(users)).scalar_one() > 0


def add_user(engine: Engine, name: str, role: str, password: str | None,
             department: str | None = None, email: str | None = None,
             now: datetime | None = None) -> User:
    """A new user; `password` None means they sign in only through single sign-on."""
    name = name.strip()
    if not name:
        raise UserError("a user needs a name")
    if name.casefold() in SYSTEM_ACTORS or name.casefold().startswith("kiosk:"):
        raise UserError(f"{name!r} is the name the system writes its own actions under "
                        "(imports, the simulation, feeds); choose another")
    if name.casefold() in ROLE_NAMES:
        raise UserError(f"{name!r} is a role's name, and a user is a person: name them "
                        "(their role is --role)")
    if role not in USER_ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(USER_ROLES)} "
                        "(the meeting screen uses a kiosk token: python -m db kiosk issue)")
    if (role == "head") != (department is not None):
        raise UserError("a department head, and only a head, has a department")
    hashed = hash_password(password) if password is not None else None
    with _secrets_hidden(), engine.begin() as conn:
        department_id = None
        if department is not None:
            department_id = find_department(conn, department)
            if department_id is None:
                raise UserError(f"no department has the code or name {department!r}")
        if find_user(conn, name) is not None:
            raise UserError(f"a user named {name!r} exists already")
        email = email.strip().lower() if email else None
        if email and find_by_email(conn, email) is not None:
            raise UserError(f"another user has the e-mail {email!r}")
        try:
            conn.execute(insert(users).values(
                name=name, email=email, role=role, department_id=department_id,
                password_hash=hashed, created_at=now or datetime.now(UTC)))
        except IntegrityError:
            raise UserError(f"a user named {name!r} or with that e-mail exists already") from None
        return find_user(conn, name)


def set_password(engine: Engine, name: str, password: str) -> None:
    """A new password; it also lifts a lock, so that an administrator can let someone back in,
    and ends the user's sessions, so that whoever knew the old one is out."""
    hashed = hash_password(password)
    with _secrets_hidden(), engine.begin() as conn:
        user = find_user(conn, name)
        if user is None:
            raise UserError(f"no user named {name!r}")
        conn.execute(update(users).where(users.c.id == user.id).values(
            password_hash=hashed, failed_count=0, locked_until=None, last_failed_at=None))
        conn.execute(update(sign_in_sessions).where(sign_in_sessions.c.user_id == user.id,
                                                    sign_in_sessions.c.ended_at.is_(None))
                     .values(ended_at=datetime.now(UTC)))


def disable_user(engine: Engine, name: str) -> None:
    """The user can no longer sign in, and an open session ends at its next run."""
    with engine.begin() as conn:
        changed = conn.execute(
            update(users).where(users.c.name == name.strip()).values(disabled=True)).rowcount
    if changed != 1:
        raise UserError(f"no user named {name!r}")


def _delay(failures: int) -> timedelta:
    return timedelta(seconds=min(2 ** (failures - 1), MAX_DELAY_S)) if failures else timedelta()


def authenticate(engine: Engine, name: str, password: str,
                 now: datetime | None = None) -> SignIn:
    """Check a name and password, keeping count of failures in a row.

    Too soon after a failure the attempt is refused as `wait` without checking the password, and
    while locked as `locked`; neither counts as a failure. The failure that reaches
    `CITYDESK_MAX_FAILURES` locks the account for `CITYDESK_LOCK_MINUTES`. A disabled account
    answers exactly as a wrong password does (a failure counted, the same time), so that its
    answer tells nothing of the password.

    The attempt is counted as a failure first, in a short transaction with the user's row locked
    (SELECT … FOR UPDATE; on SQLite the write lock), so parallel attempts are decided one after
    another and meet the back-off or the lock without a check. The argon2 check then runs
    outside any transaction: it holds no lock for its tens of milliseconds, and no writer waits
    on it. A success takes the failure back in a second short transaction. A name that is no
    user's is counted in `sign_in_throttle` the same way, and every answer costs one argon2
    verification: unknown and known names get the same answers in the same time.
    """
    now = now or datetime.now(UTC)
    name = name.strip()
    with _secrets_hidden():
        counted, row = retrying(lambda: _count(engine, name, now))
        if row is None:  # refused without a check
            _matches(None, password)  # as long as an answer that checked the password
            return counted
        matched = _matches(row.password_hash, password)
        if row is _UNKNOWN or row.disabled or not matched:
            if row.disabled:
                log.info("sign-in refused: %s is disabled", row.name)
            return counted
        rehashed = _hasher().hash(password) if _hasher().check_needs_rehash(
            row.password_hash) else None
        retrying(lambda: _succeed(engine, row.id, rehashed))
    log.info("signed in: %s (%s)", row.name, row.role)
    return SignIn(_user(row))


def _count(engine: Engine, name: str, now: datetime) -> tuple[SignIn, Any]:
    """Under the row's lock: a refusal without a check (`wait`, `locked`; row None), or the
    attempt counted as a failure (its answer should the password not match) and the user's
    row to check it against (None for an unknown name)."""
    with write_transaction(engine) as conn:
        row = conn.execute(_select().where(users.c.name == name)
                           .with_for_update(of=users)).first()
        counter = _Counter(users, users.c.id == row.id) if row is not None \
            else _Counter.for_unknown(conn, name, now)
        state = row if row is not None else counter.read(conn)
        if state.locked_until is not None and now < state.locked_until:
            return SignIn(None, "locked", state.locked_until), None
        if state.last_failed_at is not None and \
                now < state.last_failed_at + _delay(state.failed_count):
            return SignIn(None, "wait", state.last_failed_at + _delay(state.failed_count)), None
        if row is None:
            log.info("sign-in refused: unknown name")
        return counter.failed(conn, state, now, row.name if row is not None else None), \
            row if row is not None else _UNKNOWN


def _succeed(engine: Engine, user_id: int, rehashed: str | None) -> None:
    """The right password: the failure counted for it, and any before, are taken back."""
    values: dict[str, Any] = {"failed_count": 0, "locked_until": None, "last_failed_at": None}
    if rehashed is not None:
        values["password_hash"] = rehashed
    with write_transaction(engine) as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(**values))


class _Unknown:
    """An unknown name's stand-in row: no hash, so the check runs against the dummy one."""

    password_hash = None
    disabled = False


_UNKNOWN = _Unknown()


@dataclass(frozen=True)
class _Counter:
    """Where an attempt's failures in a row are kept: the user's row, or an unknown name's."""

    table: Table
    where: ColumnElement

    @classmethod
    def for_unknown(cls, conn: Connection, name: str, now: datetime) -> _Counter:
        """The unknown name's counter, made when missing and locked; counters whose lock and
        back-off are long over are dropped on the way."""
        t = sign_in_throttle.c
        key = digest(name.casefold())
        stale = now - timedelta(minutes=lock_minutes()) - timedelta(seconds=MAX_DELAY_S)
        conn.execute(delete(sign_in_throttle).where(
            t.last_failed_at < stale, t.name_hash != key,
            or_(t.locked_until.is_(None), t.locked_until < now)))
        insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert_(sign_in_throttle).values(name_hash=key, failed_count=0)
                     .on_conflict_do_nothing())
        return cls(sign_in_throttle, t.name_hash == key)

    def read(self, conn: Connection):
        t = self.table.c
        return conn.execute(select(t.failed_count, t.locked_until, t.last_failed_at)
                            .where(self.where).with_for_update()).one()

    def failed(self, conn: Connection, state, now: datetime, name: str | None) -> SignIn:
        """Count a failure; lock the account (or the name) when it is one too many."""
        failures = state.failed_count + 1
        if failures >= max_failures():
            until = now + timedelta(minutes=lock_minutes())
            conn.execute(update(self.table).where(self.where).values(
                failed_count=0, locked_until=until, last_failed_at=now))
            if name is not None:
                log.warning("sign-in: %s locked until %s after %d failures", name,
                            until.isoformat(), failures)
            return SignIn(None, "locked", until)
        conn.execute(update(self.table).where(self.where).values(
            failed_count=failures, locked_until=None, last_failed_at=now))
        if name is not None:
            log.info("sign-in refused: wrong password for %s (%d in a row)", name, failures)
        return SignIn(None, "bad_credentials", now + _delay(failures))
