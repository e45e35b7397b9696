"""`python -m db sync URL`: follow a city's dispatch system through Open311 GeoReport v2.

Each run does two things, and writes through the importer's own code (`normalise` and
`TicketWriter`: the same mapping, the same events on the timeline), so a synced city and an
imported one give the same figures:
- new requests come by windows of `requested_datetime`, from the watermark (less `LOOKBACK`, for
  requests a server publishes late) to now. A window is at most `span` long (90 days, the spec's
  limit; halved whenever a server refuses one) and is split in two while its answer may have hit
  the server's cap, which servers keep to themselves: an answer is trusted only when it is
  smaller than the largest one seen, so no request is ever lost;
- the feed's tickets still open here (new, in progress, resolved) are read again by id lists, so
  a ticket closed or changed upstream is closed or changed here, however old.
Records are written in batches, each in one transaction with the feed's cursor (`db.feeds`): a
batch is written whole or not at all, the watermark moves only past what was written, and a
restart resumes where the last run stopped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, insert, select
from tqdm import tqdm

from db import feeds
from db.config import city_tz
from db.importer import IN_CHUNK, ImportedTicket, TicketWriter, normalise
from db.instants import parse_instant
from db.open311 import Open311, Open311Error, Refused, Unavailable, Unreachable
from db.schema import feed_tickets, tickets

KIND = "open311"
SPAN = timedelta(days=90)  # the longest window asked: GeoReport v2's usual limit
LOOKBACK = timedelta(hours=1)  # each run asks again this much before the watermark
SHORTEST_REFUSED = timedelta(hours=1)  # a refused window shorter than this is not split
SHORTEST_FAILING = timedelta(days=1)  # nor is a window that keeps failing
IDS_PER_REQUEST = 50
MAX_ID_CHARACTERS = 1500  # keeps a URL of ids well under the usual 2,000-character limit
BATCH = 500
OPEN_HERE = ("new", "in_progress", "resolved")


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

    def summary(self) -> str:
        return (f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.skips)} skipped; {self.windows} windows read, {self.reread} open "
                "tickets read again")


def feed_name(url: str, jurisdiction: str | None = None) -> str:
    """How the feed is known in the `feeds` table (never with its API key)."""
    name = f"{KIND} {url.rstrip('/')}"
    return f"{name} ({jurisdiction})" if jurisdiction else name


class _Caps:
    """The server's unspoken cap on an answer's size is at least the largest answer seen: a
    smaller answer is whole, one as large may have been cut short."""

    def __init__(self) -> None:
        self.largest = 0

    def maybe_cut(self, n: int) -> bool:
        cut = n > 0 and n >= self.largest
        self.largest = max(self.largest, n)
        return cut


class Sync:
    """One feed: the server, the database, and what a run has read so far."""

    def __init__(self, engine: Engine, server: Open311, name: str, *, every: int = 60,
                 tz: tzinfo | None = None, span: timedelta = SPAN,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 progress: bool = False,
                 on_skip: Callable[[str, str], None] | None = None) -> None:
        self.engine, self.server, self.name, self.every = engine, server, name, every
        self.tz = tz or city_tz()
        self.span, self.clock, self.progress = span, clock, progress
        self.on_skip = on_skip  # told (request id, reason) of each skipped request as it goes
        self.caps = _Caps()

    # -- a run ------------------------------------------------------------------------------

    def run(self, since: datetime) -> SyncReport:
        """One run: new requests by windows, then the open ones by ids. Raises SyncError (after
        recording it on the feed) when it could not complete."""
        report = SyncReport()
        now = self.clock().replace(microsecond=0)
        with self.engine.begin() as conn:
            feeds.ensure(conn, self.name, KIND, self.every)
            state = feeds.cursor(conn, self.name) or {}
        try:
            seen = self._new_requests(report, now, _start(state, since))
            self._open_requests(report, now, seen)
        except (Open311Error, SyncError) as exc:
            with self.engine.begin() as conn:
                feeds.fail(conn, self.name, self.clock(), str(exc))
            raise SyncError(str(exc)) from None
        return report

    def _new_requests(self, report: SyncReport, now: datetime, start: datetime) -> set[str]:
        """Every window from `start` to `now`, written in batches as they complete."""
        seen: set[str] = set()
        pending: dict[str, dict[str, Any]] = {}
        days = max((now - start).total_seconds() / 86400, 0)
        bar = tqdm(total=round(days, 2), unit=" days", desc="new requests", file=sys.stderr,
                   disable=None if self.progress else True)
        end = start
        for window_start, window_end, records in self._windows(start, now):
            report.windows += 1
            for record in records:
                key = _key(record)
                if key not in seen:
                    seen.add(key)
                    pending[key] = record
            end = window_end
            bar.update(round((window_end - window_start).total_seconds() / 86400, 2))
            if len(pending) >= BATCH:
                self._write(report, list(pending.values()), now, {"watermark": _iso(end)})
                pending.clear()
        self._write(report, list(pending.values()), now, {"watermark": _iso(max(end, now))})
        bar.close()
        return seen

    def _windows(self, start: datetime,
                 now: datetime) -> Iterator[tuple[datetime, datetime, list[dict[str, Any]]]]:
        """(start, end, records) of consecutive windows covering [start, now], in order."""
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
            if length <= SHORTEST_FAILING or isinstance(exc, Unreachable):
                raise
            yield from self._halves(start, end)
            return
        if not self.caps.maybe_cut(len(records)):
            yield start, end, records
            return
        if length <= timedelta(seconds=1):
            raise SyncError(f"the server gives at most {len(records)} requests per answer and "
                            f"more were made within one second at {_iso(start)}")
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
               cursor: dict[str, Any]) -> None:
        """One batch and the cursor past it, in one transaction, through the importer's code."""
        batch: list[ImportedTicket] = []
        skips: list[tuple[str, str]] = []
        for record in records:
            ticket = normalise(record, self.tz)
            if isinstance(ticket, str):
                skips.append((_key(record), ticket))
            else:
                batch.append(ticket)
        with self.engine.begin() as conn:
            inserted, updated, unchanged = TicketWriter(conn).write(batch) if batch else (0, 0, 0)
            self._claim(conn, [t.external_id for t in batch])
            feeds.advance(conn, self.name, now, cursor,
                          {"inserted": inserted, "updated": updated, "unchanged": unchanged,
                           "skipped": len(skips)},
                          data_at=max((t.updated for t in batch), default=None))
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


def _key(record: dict[str, Any]) -> str:
    return str(record.get("service_request_id") or "").strip()


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
