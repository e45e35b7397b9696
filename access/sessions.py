"""Built-in sign-in sessions that outlive a reload or a new tab.

Signing in with a password starts a session: 32 random bytes that the browser keeps in a cookie,
of which the database keeps only the SHA-256 (as for kiosk tokens). A new page load resumes the
session while it is live: not ended, used within the idle time, and its user still enabled.
Signing out ends it, and so does a new password for its user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from access.tokens import digest, new_token
from access.users import User, get_user
from db.schema import sign_in_sessions

S = sign_in_sessions.c
TOUCH_EVERY = timedelta(minutes=1)  # how stale `seen_at` may get before a run writes it again


def start(engine: Engine, user_id: int, now: datetime | None = None) -> str:
    """A new session for this user; the token is returned here and never again."""
    now = now or datetime.now(UTC)
    token = new_token()
    with engine.begin() as conn:
        conn.execute(insert(sign_in_sessions).values(
            token_hash=digest(token), user_id=user_id, created_at=now, seen_at=now))
    return token


def resume(engine: Engine, token: str, idle: timedelta, now: datetime | None = None,
           touch: bool = True) -> User | None:
    """The user of a live session, marking it used now (unless `touch` is False: a check that is
    not the user's doing); None when the token is unknown or its session has ended, been idle
    longer than `idle` (it then ends), or its user is disabled."""
    if not token:
        return None
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        row = conn.execute(select(S.id, S.user_id, S.seen_at).where(
            S.token_hash == digest(token), S.ended_at.is_(None))).first()
        if row is None:
            return None
        if now - row.seen_at > idle:
            conn.execute(update(sign_in_sessions).where(S.id == row.id)
                         .values(ended_at=row.seen_at + idle))
            return None
        user = get_user(conn, row.user_id)
        if user is None or user.disabled:
            return None
        if touch and now - row.seen_at >= TOUCH_EVERY:
            conn.execute(update(sign_in_sessions).where(S.id == row.id).values(seen_at=now))
        return user


def end(engine: Engine, token: str, now: datetime | None = None) -> None:
    """Sign this session out, wherever it is open."""
    with engine.begin() as conn:
        conn.execute(update(sign_in_sessions)
                     .where(S.token_hash == digest(token), S.ended_at.is_(None))
                     .values(ended_at=now or datetime.now(UTC)))

