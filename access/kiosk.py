"""Kiosk tokens: a link that opens the meeting screen alone, for the meeting room's display.

A token is 32 random bytes, shown once when issued; the database keeps only its SHA-256, so a
copy of the database opens no screen. Revoking a token ends every screen that uses it at its
next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, or_, select, update

from access.tokens import digest, new_token
from db.config import value
from db.schema import kiosk_tokens


@dataclass(frozen=True)
class Kiosk:
    """A token as it may be shown: never the token itself, nor its hash."""

    id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None


def _columns():
    k = kiosk_tokens.c
    return select(k.id, k.label, k.created_at, k.revoked_at)


def issue(engine: Engine, label: str, now: datetime | None = None) -> tuple[Kiosk, str]:
    """A new token for the screen called `label`; the token is returned here and never again."""
    label = label.strip()
    if not label:
        raise ValueError("a kiosk token needs a label (where its screen is)")
    token = new_token()
    with engine.begin() as conn:
        made = conn.execute(insert(kiosk_tokens).values(
            token_hash=digest(token), label=label, created_at=now or datetime.now(UTC)))
        row = conn.execute(_columns().where(kiosk_tokens.c.id == made.inserted_primary_key[0]))
        return Kiosk(*row.one()), token


def verify(engine: Engine, token: str) -> Kiosk | None:
    """The live (not revoked) kiosk this token opens, or None."""
    if not token:
        return None
    k = kiosk_tokens.c
    with engine.connect() as conn:
        row = conn.execute(_columns().where(k.token_hash == digest(token),
                                            k.revoked_at.is_(None))).first()
    return Kiosk(*row) if row else None


def is_live(engine: Engine, kiosk_id: int) -> bool:
    """Whether the kiosk a screen opened with is still allowed (re-checked on every run)."""
    k = kiosk_tokens.c
    with engine.connect() as conn:
        return conn.execute(select(k.id).where(k.id == kiosk_id,
                                               k.revoked_at.is_(None))).first() is not None


def revoke(engine: Engine, id_or_label: str, now: datetime | None = None) -> list[Kiosk]:
    """Revoke the live tokens with this id or label; returns those it revoked."""
    k = kiosk_tokens.c
    which = k.label == id_or_label.strip()
    if id_or_label.strip().isdigit():
        which = or_(which, k.id == int(id_or_label))
    with engine.begin() as conn:
        ids = list(conn.execute(select(k.id).where(which, k.revoked_at.is_(None))).scalars())
        conn.execute(update(kiosk_tokens).where(k.id.in_(ids))
                     .values(revoked_at=now or datetime.now(UTC)))
        return [Kiosk(*r) for r in conn.execute(_columns().where(k.id.in_(ids)).order_by(k.id))]


def list_kiosks(engine: Engine) -> list[Kiosk]:
    with engine.connect() as conn:
        return [Kiosk(*r) for r in conn.execute(_columns().order_by(kiosk_tokens.c.id))]


def link(token: str, base_url: str | None = None) -> str:
    """The link that opens the meeting screen alone: at `base_url`, by default where
    scripts/run.sh serves the dashboard (this machine, on `PORT`)."""
    base = base_url or f"http://localhost:{value('PORT')}"
    return f"{base.rstrip('/')}/?kiosk={token}"
