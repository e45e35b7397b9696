"""`python -m db sync URL`: follow a city's dispatch system through Open311 GeoReport v2.

Each run does two things, and writes through the importer's own code (`normalise` and
`TicketWriter`: the same mapping, the same events on the timeline), so a synced city and an
imported one give the same figures:
- new requests come by windows of `requested_datetime`, from the watermark (less `LOOKBACK`, for
  requests a server publishes late) to now. A window is at most `span` long (90 days, the spec's
  limit; halved whenever a server refuses one) and is split in two while its answer may have hit
  the server's cap, which servers keep to themselves: an answer is trusted only when it is
  smaller than the largest one seen (kept with the feed's cursor, so a fresh process knows it).
  Requests made within one second cannot be told apart by a window: a one-second window is
  taken as it comes, with a note when the server may have kept some of it back;
- the feed's tickets still open here (new, in progress, resolved) are read again by id lists, so
  a ticket closed or changed upstream is closed or changed here, however old.
Records are written in batches, each in one transaction with the feed's cursor (`feeds.health`): a
batch is written whole or not at all, the watermark moves only past what was written, and a
restart resumes where the last run stopped.

A misbehaving server costs one failed run with a one-line reason, never the process: answers are
bounded in size and time (`feeds.open311`), the run in time (`CITYDESK_FEED_RUN_SECONDS`); a record
that cannot be used (an id too long, an instant far in the future) is skipped with its reason;
the open tickets are read again even when a window failed; and every write is retried after a
deadlock or a unique violation, as every writer's is (`db.transactions.retrying`).
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, insert, select
from tqdm import tqdm

from db.config import city_tz, feed_run_seconds
from db.instants import parse_instant
from db.schema import feed_tickets, tickets
from db.schema import feeds as feeds_table
from db.secrets import without_credentials
from db.transactions import ATTEMPTS, Contention, retrying
from feeds import health as feeds
from feeds.importer import IN_CHUNK, ImportedTicket, TicketWriter, normalise
from feeds.open311 import (
    Fatal,
    Open311,
    Open311Error,
    OutOfTime,
    RateLimited,
    Refused,
    TooLarge,
    Unavailable,
    Unreachable,
)

KIND = "open311"
SPAN = timedelta(days=90)  # the longest window asked: GeoReport v2's usual limit
LOOKBACK = timedelta(hours=1)  # each run asks again this much before the watermark
SHORTEST_REFUSED = timedelta(hours=1)  # a refused window shorter than this is not split
SHORTEST_FAILING = timedelta(days=1)  # nor is a window that keeps failing
IDS_PER_REQUEST = 50
MAX_ID_CHARACTERS = 1500  # keeps a URL of ids well under the usual 2,000-character limit
BATCH = 500
OPEN_HERE = ("new", "in_progress", "resolved")
LONGEST_ID = 64  # characters of a request's id (tickets.external_id)
FUTURE = timedelta(days=1)  # a record's instants may be this far past now (clocks differ)
INSTANTS = ("requested_datetime", "updated_datetime", "expected_datetime", "closed_datetime")
NAME_LENGTH = feeds_table.c.name.type.length


class SyncError(Exception):
    """The run could not complete; what it wrote before stays, and the next run resumes."""


@dataclass
class SyncReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skips: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)
    windows: int = 0
    reread: int = 0
    notes: list[str] = field(default_factory=list)  # what the run could not be sure of

    def summary(self) -> str:
        return (f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.skips)} skipped; {self.windows} windows read, {self.reread} open "
                "tickets read again")


def feed_name(url: str, jurisdiction: str | None = None) -> str:
    """How the feed is known in the `feeds` table: never with its API key or a password, and
    within the column (a longer name is cut and ends with a hash of the whole)."""
    name = f"{KIND} {without_credentials(url).rstrip('/')}"
    name = f"{name} ({jurisdiction})" if jurisdiction else name
    if len(name) > NAME_LENGTH:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = f"{name[:NAME_LENGTH - 14]}… {digest}"
    return name


class _Caps:
    """The server's unspoken cap on an answer's size is at least the largest answer seen: a
    smaller answer is whole, one as large may have been cut short. What is known is kept with
    the feed (the cursor's `largest`), so each process starts from it."""

    def __init__(self, largest: int = 0) -> None:
        self.largest = largest

    def maybe_cut(self, n: int) -> bool:
        cut = n > 0 and n >= self.largest
        self.largest = max(self.largest, n)
        return cut


class Sync:
    """One feed: the server, the database, and what a run has read so far."""

    def __init__(self, engine: Engine, server: Open311, name: str, *, every: int = 60,
                 tz: tzinfo | None = None, span: timedelta = SPAN,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 progress: bool = False, run_seconds: float | None = None,
                 on_skip: Callable[[str, str], None] | None = None) -> None:
        self.engine, self.server, self.name, self.every = engine, server, name, every
        self.tz = tz or city_tz()
        self.span, self.clock, self.progress = span, clock, progress
        self.run_seconds = feed_run_seconds() if run_seconds is None else run_seconds
        self.on_skip = on_skip  # told (request id, reason) of each skipped request as it goes
        self.caps = _Caps()
        self.report = SyncReport()  # the run's, while its windows are read

    # -- a run ------------------------------------------------------------------------------

    def run(self, since: datetime, *, again: bool = False) -> SyncReport:
        """One run: new requests by windows, then the open ones by ids. Raises SyncError (after
        recording it on the feed) when it could not complete; the open tickets are read again
        even then, unless the server cannot be reached at all. `again`: start at `since` even
        when the feed has a watermark (`--since` given on a running feed)."""
        report = SyncReport()
        now = self.clock().replace(microsecond=0)
        self.server.deadline = time.monotonic() + self.run_seconds

        def begin() -> dict[str, Any]:
            with self.engine.begin() as conn:
                feeds.ensure(conn, self.name, KIND, self.every)
                return feeds.cursor(conn, self.name) or {}

        state = retrying(begin)
        self.caps = _Caps(max(self.caps.largest, _whole(state.get("largest"))))
        start = since.astimezone(UTC).replace(microsecond=0) if again else _start(state, since)
        failure: Exception | None = None
        seen: set[str] = set()
        try:
            seen = self._new_requests(report, now, start)
        except _WindowFailed as exc:
            failure, seen = exc.__cause__ or exc, exc.seen
        except Contention as exc:  # other writers held a batch's tickets through every try
            failure = exc
        if failure is None or not isinstance(failure, (Fatal, Unreachable, OutOfTime,
                                                       RateLimited, TooLarge, Contention)):
            try:
                self._open_requests(report, now, seen)
            except (Open311Error, SyncError, Contention) as exc:
                failure = failure or exc
        if report.notes:
            retrying(lambda: self._note("; ".join(report.notes)))
        if failure is not None:
            reason = str(failure)
            # a database still held by other writers takes one more try to say so, not four;
            # the reason is printed either way
            with suppress(Contention):
                retrying(lambda: self._fail(reason),
                         attempts=1 if isinstance(failure, Contention) else ATTEMPTS)
            raise SyncError(reason) from None
        return report

    def _fail(self, reason: str) -> None:
        with self.engine.begin() as conn:
            feeds.fail(conn, self.name, self.clock(), reason)

    def _note(self, reason: str) -> None:
        with self.engine.begin() as conn:
            feeds.note(conn, self.name, reason)

    def _new_requests(self, report: SyncReport, now: datetime, start: datetime) -> set[str]:
        """Every window from `start` to `now`, written in batches as they complete."""
        seen: set[str] = set()
        pending: dict[str, dict[str, Any]] = {}
        days = max((now - start).total_seconds() / 86400, 0)
        bar = tqdm(total=round(days, 2), unit=" days", desc="new requests", file=sys.stderr,
                   disable=None if self.progress else True)
        end = start
        try:
            for window_start, window_end, records in self._windows(report, start, now):
                report.windows += 1
                for record in records:
                    key = _key(record)
                    if key not in seen:
                        seen.add(key)
                        pending[key] = record
                    elif record != pending.get(key, record):
                        pending[key] = _newer(report, key, pending[key], record)
                end = window_end
                bar.update(round((window_end - window_start).total_seconds() / 86400, 2))
                if len(pending) >= BATCH:
                    self._write(report, list(pending.values()), now, self._mark(end))
                    pending.clear()
        except (Open311Error, SyncError) as exc:
            # what the windows before the failing one brought is written, up to where they end
            self._write(report, list(pending.values()), now, self._mark(end), success=False)
            bar.close()
            raise _WindowFailed(seen) from exc
        self._write(report, list(pending.values()), now, self._mark(max(end, now)))
        bar.close()
        return seen

    def _mark(self, end: datetime) -> dict[str, Any]:
        return {"watermark": _iso(end), "largest": self.caps.largest}

    def _windows(self, report: SyncReport, start: datetime,
                 now: datetime) -> Iterator[tuple[datetime, datetime, list[dict[str, Any]]]]:
        """(start, end, records) of consecutive windows covering [start, now], in order."""
        self.report = report
        while start < now:
            end = min(start + self.span, now)
            yield from self._window(start, end)
            start = end

    def _window(self, start: datetime,
                end: datetime) -> Iterator[tuple[datetime, datetime, list[dict[str, Any]]]]:
        length = end - start
        try:
            records = self.server.window(start, end)
        except Refused as exc:
            if length <= SHORTEST_REFUSED:
                raise SyncError(f"the server refused {_iso(start)} to {_iso(end)}: {exc}") \
                    from None
            self.span = min(self.span, length / 2)  # its span limit: ask no longer windows
            yield from self._halves(start, end)
            return
        except Unavailable as exc:
            if length <= SHORTEST_FAILING or isinstance(exc, (Unreachable, RateLimited,
                                                                OutOfTime, TooLarge)):
                raise
            yield from self._halves(start, end)
            return
        if not self.caps.maybe_cut(len(records)):
            yield start, end, records
            return
        if length <= timedelta(seconds=1):
            # requests made within one second: a window cannot part them, so they are taken
            # as they come; the server may have kept some back only if it never gave more
            made = sorted({str(r.get("requested_datetime") or "")[:40] for r in records})
            note = (f"{len(records)} requests made at {' and '.join(made)}, as many as the "
                    "largest answer seen: the server may hold more of that second")
            if note not in self.report.notes:  # windows share their ends: said once
                self.report.notes.append(note)
            yield start, end, records
            return
        yield from self._halves(start, end)

    def _halves(self, start: datetime,
                end: datetime) -> Iterator[tuple[datetime, datetime, list[dict[str, Any]]]]:
        middle = start + timedelta(seconds=(end - start).total_seconds() // 2)
        yield from self._window(start, middle)
        yield from self._window(middle, end)

    def _open_requests(self, report: SyncReport, now: datetime, seen: set[str]) -> None:
        """The feed's tickets still open here, read again by ids (those this run has not)."""
        with self.engine.connect() as conn:
            ids = [i for i in conn.execute(
                select(tickets.c.external_id).join(
                    feed_tickets, feed_tickets.c.ticket_id == tickets.c.id)
                .where(feed_tickets.c.feed == self.name, tickets.c.status.in_(OPEN_HERE))
                .order_by(tickets.c.external_id)).scalars() if i not in seen]
        bar = tqdm(total=len(ids), unit=" requests", desc="open tickets", file=sys.stderr,
                   disable=None if self.progress else True)
        cursor = self._cursor()
        pending: list[dict[str, Any]] = []
        for chunk in _id_lists(ids, IDS_PER_REQUEST):
            pending += self._by_ids(chunk)
            report.reread += len(chunk)
            bar.update(len(chunk))
            if len(pending) >= BATCH:
                self._write(report, pending, now, cursor)
                pending = []
        if pending:
            self._write(report, pending, now, cursor)
        bar.close()

    def _by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The records of these ids; the missing ones are asked again on their own while each
        answer brings some (a capped answer), and are gone upstream once one brings none. A
        list the server refuses is asked in halves."""
        found: dict[str, dict[str, Any]] = {}
        missing = list(ids)
        while missing:
            asked = set(missing)
            try:
                answer = self.server.by_ids(missing)
            except Refused:
                if len(missing) == 1:
                    raise
                half = len(missing) // 2  # a server that takes fewer ids at once
                answer = self._by_ids(missing[:half]) + self._by_ids(missing[half:])
            got = {k: r for r in answer if (k := _key(r)) in asked}
            if not got:
                break
            found.update(got)
            missing = [i for i in missing if i not in found]
        return list(found.values())

    def _cursor(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return feeds.cursor(conn, self.name) or {}

    # -- writing ----------------------------------------------------------------------------

    def _write(self, report: SyncReport, records: list[dict[str, Any]], now: datetime,
               cursor: dict[str, Any], success: bool = True) -> None:
        """One batch and the cursor past it, in one transaction, through the importer's code;
        retried whole after a deadlock or a unique violation (another writer's same tickets)."""
        batch: list[ImportedTicket] = []
        skips: list[tuple[str, str]] = []
        for record in records:
            why = _unusable(record, now)
            ticket = why or normalise(record, self.tz)
            if isinstance(ticket, str):
                skips.append((_shown_key(record), ticket))
            else:
                batch.append(ticket)

        def work() -> tuple[int, int, int]:
            with self.engine.begin() as conn:
                counts = TicketWriter(conn).write(batch) if batch else (0, 0, 0)
                self._claim(conn, [t.external_id for t in batch])
                feeds.advance(conn, self.name, now, cursor,
                              {"inserted": counts[0], "updated": counts[1],
                               "unchanged": counts[2], "skipped": len(skips)},
                              data_at=max((t.updated for t in batch), default=None),
                              success=success)
                if skips:
                    key, reason = skips[-1]
                    feeds.note(conn, self.name, f"request {key} skipped: {reason}"
                               + (f" (and {len(skips) - 1} more)" if len(skips) > 1 else ""))
            return counts

        inserted, updated, unchanged = retrying(work)
        report.inserted += inserted
        report.updated += updated
        report.unchanged += unchanged
        report.skips += skips
        if self.on_skip is not None:
            for key, reason in skips:
                self.on_skip(key, reason)

    def _claim(self, conn, external_ids: list[str]) -> None:
        """Mark the tickets as this feed's, so their open ones are read again next run."""
        for at in range(0, len(external_ids), IN_CHUNK):
            chunk = external_ids[at:at + IN_CHUNK]
            ids = set(conn.execute(select(tickets.c.id).where(
                tickets.c.external_id.in_(chunk))).scalars())
            mine = set(conn.execute(select(feed_tickets.c.ticket_id).where(
                feed_tickets.c.feed == self.name, feed_tickets.c.ticket_id.in_(ids))).scalars())
            new = sorted(ids - mine)
            if new:
                conn.execute(insert(feed_tickets), [{"feed": self.name, "ticket_id": i}
                                                    for i in new])


class _WindowFailed(SyncError):
    """A window could not be read; `seen` are the ids the windows before it brought."""

    def __init__(self, seen: set[str]) -> None:
        super().__init__("a window failed")
        self.seen = seen


def _key(record: dict[str, Any]) -> str:
    return str(record.get("service_request_id") or "").strip()


def _shown_key(record: dict[str, Any]) -> str:
    key = _key(record)
    return key if len(key) <= LONGEST_ID else f"{key[:20]}… ({len(key):,} characters)"


def _whole(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _unusable(record: dict[str, Any], now: datetime) -> str | None:
    """Why a record cannot be taken before it is even read (else None): an id no ticket can
    hold, an instant far past now (it would pin the feed's newest data there)."""
    if len(_key(record)) > LONGEST_ID:
        return f"an id longer than {LONGEST_ID} characters"
    for name in INSTANTS:
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue  # the importer's reading says what is wrong with it
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        if at > now + FUTURE:
            return f"{name} {value.strip()[:40]} is in the future"
    return None


def _newer(report: SyncReport, key: str, first: dict[str, Any],
           second: dict[str, Any]) -> dict[str, Any]:
    """Of two different records of one id in one run, the one updated last (the later one
    when neither says), with a note: the server contradicted itself."""
    report.notes.append(f"request {_shown_key(first)} came twice with different content; "
                        "the one updated last was kept")
    a, b = (str(r.get("updated_datetime") or "") for r in (first, second))
    return first if a > b else second


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _start(state: dict[str, Any], since: datetime) -> datetime:
    """Where this run's windows begin: the watermark less the lookback, or `since` at first."""
    mark = state.get("watermark")
    if not mark:
        return since.astimezone(UTC).replace(microsecond=0)
    return datetime.fromisoformat(mark.replace("Z", "+00:00")) - LOOKBACK


def _id_lists(ids: list[str], size: int) -> Iterator[list[str]]:
    """Lists of at most `size` ids whose comma list stays under MAX_ID_CHARACTERS."""
    chunk: list[str] = []
    length = 0
    for i in ids:
        if chunk and (len(chunk) >= size or length + len(i) + 1 > MAX_ID_CHARACTERS):
            yield chunk
            chunk, length = [], 0
        chunk.append(i)
        length += len(i) + 1
    if chunk:
        yield chunk


# ---------------------------------------------------------------------------------------------
# The first run's start


def parse_since(text: str | None, now: datetime) -> datetime:
    """`--since`: an ISO-8601 instant (read in CITY_TZ without an offset); default 90 days ago."""
    if not text:
        return now - SPAN
    return parse_instant(text, city_tz())
