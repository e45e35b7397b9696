"""Taking a network's new messages through the intake pipeline, with the feed's cursor.

A connector (`vk`, `telegram`) fetches what is new since its cursor as a `Batch`: items in the
order they were posted, each able to say what the cursor is once it (and everything before it in
its own stream) is taken. Each message is decided and the cursor advanced in ONE transaction, so
a restart neither loses a message nor takes one twice. An edited message is never a new
complaint: it adds a note to the ticket its first version made, or nothing.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from tqdm import tqdm

from db.transactions import Contention, retrying
from feeds import health as feeds
from feeds.intake.api import FeedError
from feeds.intake.messages import Message
from feeds.intake.pipeline import Outcome, Reference, decide, note_edit, read_reference
from feeds.intake.rules import Rules

MAX_PAGES = 1000  # pages of one pass at most: a pass always ends


@dataclass
class Item:
    """One thing fetched: a message to decide, an edit, or nothing to decide (no text)."""

    message: Message | None
    taken: Callable[[], dict[str, Any]]  # marks it taken; the cursor to store with it
    edited: bool = False


@dataclass
class Batch:
    items: list[Item]
    final: Callable[[], dict[str, Any]]  # the cursor once every item is taken
    errors: list[str] = field(default_factory=list)  # parts that could not be read this time
    more: bool = False  # a next page waits: fetch again once these are taken


class Source(Protocol):
    name: str

    def fetch(self, cursor: dict[str, Any] | None, now: datetime) -> Batch: ...


@dataclass(frozen=True)
class Taken:
    """One message decided: one line of the report."""

    network: str
    url: str | None
    outcome: Outcome

    def report(self) -> dict:
        o = self.outcome
        return {"network": self.network, "url": self.url, "decision": o.decision,
                "category": o.category, "department": o.department, "ticket": o.ticket,
                "reason": o.reason}


def take(engine: Engine, source: Source, rules: Rules, now: datetime, every_seconds: int,
         on_taken: Callable[[Taken], None] = lambda _: None,
         progress: bool = False) -> Counter[str]:
    """One pass: every new message decided, the cursor advanced with each. Returns the counts;
    `progress` shows a bar on stderr for each page of messages.

    Raises `FeedError` when the pass could not finish, or `Contention` when other writers held
    a message's rows every time; either is recorded as the feed's last error, and what was taken
    before that stays taken.
    """
    with engine.begin() as conn:
        feeds.ensure(conn, source.name, source.name, every_seconds)
        cursor = feeds.cursor(conn, source.name)
        ref = read_reference(conn, rules)
    counts: Counter[str] = Counter()
    for _ in range(MAX_PAGES):
        try:
            batch = source.fetch(cursor, now)
        except FeedError as error:
            _fail(engine, source.name, now, str(error))
            raise
        bar = tqdm(batch.items, unit="messages", desc=source.name, file=sys.stderr,
                   disable=not progress or not batch.items)
        for item in bar:
            try:
                counts[_take_or_pass(engine, source.name, item, rules, ref, now, on_taken)] += 1
            except Contention as busy:  # the pass stops here; the next one starts from here
                with suppress(Contention):  # one more try to say so, not four
                    retrying(partial(_fail, engine, source.name, now, str(busy)), attempts=1)
                raise
        cursor = batch.final()
        with engine.begin() as conn:
            feeds.advance(conn, source.name, now, cursor, success=not batch.errors)
        if batch.errors:
            reason = "; ".join(batch.errors)
            _fail(engine, source.name, now, reason)
            raise FeedError(reason)
        if not batch.more:
            return counts
    return counts


POISON = (ArithmeticError, KeyError, TypeError, ValueError, OSError, DataError)


def _take_or_pass(engine: Engine, name: str, item: Item, rules: Rules, ref: Reference,
                  now: datetime, on_taken: Callable[[Taken], None]) -> str:
    """`_take_one`, retried after a deadlock or a unique violation; a message that cannot be
    decided (a poison record) is passed: the cursor moves past it, it counts as skipped, and
    the reason is the feed's last error. The pass goes on either way."""
    try:
        return retrying(lambda: _take_one(engine, name, item, rules, ref, now, on_taken))
    except POISON as error:
        reason = (str(getattr(error, "orig", None) or error).strip().splitlines()
                  or [type(error).__name__])[0][:200]
        where = item.message.url if item.message is not None and item.message.url else "a message"

        def passed() -> None:
            with engine.begin() as conn:
                feeds.advance(conn, name, now, item.taken(), {"skipped": 1}, success=False)
                feeds.note(conn, name, f"{where} passed over: {reason}")
        retrying(passed)
        return "skipped"


def _take_one(engine: Engine, name: str, item: Item, rules: Rules, ref: Reference,
              now: datetime, on_taken: Callable[[Taken], None]) -> str:
    """Decides one item and moves the cursor past it, in one transaction: what became of it."""
    message = item.message
    outcome = None
    with engine.begin() as conn:
        if message is not None and item.edited:
            kind = "edited" if note_edit(conn, message, now) else "skipped"
        elif message is not None:
            outcome = decide(conn, message, rules, ref, now)
            kind = outcome.decision
        else:
            kind = "skipped"
        feeds.advance(conn, name, now, item.taken(), {kind: 1},
                      data_at=message.posted_at if message else None, success=False)
    if outcome is not None and message is not None:
        on_taken(Taken(message.network, message.url, outcome))
    return kind


def _fail(engine: Engine, name: str, now: datetime, reason: str) -> None:
    with engine.begin() as conn:
        feeds.fail(conn, name, now, reason)
