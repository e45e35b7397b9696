"""`python -m db import FILE`: service requests from Open311 GeoReport v2 JSON or CSV.

Three layers, each testable alone and each a module of this package:
- `parsing.read_records`: the file becomes (position, record) pairs, or (position, reason) for a
  record that cannot be read at all; the position is the 1-based record index in JSON and the
  line number in CSV;
- `normalising.normalise`: a record becomes a validated `ImportedTicket`, or the reason to skip
  it;
- `writing.TicketWriter`: batches of tickets go to the database with their timeline events; a
  ticket already there (same `external_id`, the service_request_id) changes only where the record
  does, so importing the same file twice changes nothing.
This module ties them together (`import_file`) and names what callers use.

Instants written without an offset (real exports carry local times) are read as wall-clock time
in the zone given (`--tz`, default CITY_TZ); a wall time that occurs twice when clocks go back is
read as the first of the two. Instants are kept to the whole second.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from pathlib import Path

from sqlalchemy import Connection, Engine
from tqdm import tqdm

from db.config import city_tz
from db.transactions import retrying, write_transaction
from feeds import import_profiles
from feeds.import_profiles import Profile
from feeds.importer.normalising import ImportedTicket, Note, normalise
from feeds.importer.parsing import ImportFileError, Parsed, Source, csv_header, read_records
from feeds.importer.writing import (
    IN_CHUNK,
    ConcurrentChange,
    ImportReport,
    TicketWriter,
    lock_existing,
)

__all__ = ["IN_CHUNK", "ConcurrentChange", "ImportFileError", "ImportReport", "ImportedTicket",
           "Note", "TicketWriter", "csv_header", "import_file", "lock_existing", "normalise",
           "read_records", "write_mapping"]

BATCH = 2000


def import_file(target: Engine | Connection, path: str | Path, tz: tzinfo | None = None, *,
                progress: bool = False, mapping: Profile | None = None) -> ImportReport:
    """Import one file; an engine gets one transaction, so a file that fails writes nothing.

    A connection is used inside its caller's transaction. Raises ImportFileError when the file
    itself cannot be read; bad records are skipped and listed in the report. Instants without an
    offset are read in `tz`, else in the mapping's zone, else in CITY_TZ. With an engine, a
    deadlock or a lock held too long by other writers retries the whole file on fresh state a
    few times, then raises `db.transactions.Contention`.
    """
    path = Path(path)
    source = read_records(path, mapping)
    tz = tz or source.tz or city_tz()
    if not isinstance(target, Engine):
        return _import(target, source, tz, progress)
    sources = iter([source])

    def work() -> ImportReport:
        with write_transaction(target) as conn:
            return _import(conn, next(sources, None) or read_records(path, mapping), tz, progress)

    return retrying(work)


def _import(conn: Connection, source: Source, tz: tzinfo, progress: bool) -> ImportReport:
    """Read and check every record first, lock the file's stored tickets in id order, then write
    in batches: the import never holds one ticket while it waits for another."""
    report = ImportReport(unit=source.unit)
    seen: dict[str, int] = {}
    batch: list[ImportedTicket] = []
    valid: list[ImportedTicket] = []
    with tqdm(total=source.total, unit=" requests", file=sys.stderr, desc="reading",
              disable=None if progress else True) as bar:
        for position, ticket in _tickets(source.records, tz):
            bar.update()
            if isinstance(ticket, str):
                report.skips.append((position, ticket))
            elif ticket.external_id in seen:
                report.skips.append((position, f"service_request_id {ticket.external_id!r} "
                                               f"repeats {source.unit} {seen[ticket.external_id]}"))
            else:
                seen[ticket.external_id] = position
                valid.append(ticket)
    lock_existing(conn, seen)
    writer = TicketWriter(conn)
    bar = tqdm(total=len(valid), unit=" requests", file=sys.stderr, desc="writing",
               disable=None if progress else True)

    def flush() -> None:
        inserted, updated, unchanged = writer.write(batch)
        report.inserted += inserted
        report.updated += updated
        report.unchanged += unchanged
        bar.update(len(batch))
        batch.clear()
        bar.set_postfix_str(f"{report.inserted} inserted, {report.updated} updated, "
                            f"{report.unchanged} unchanged, {report.skipped} skipped",
                            refresh=False)

    for ticket in valid:
        batch.append(ticket)
        if len(batch) >= BATCH:
            flush()
    flush()
    bar.close()
    return report


def _tickets(records: Iterable[Parsed], tz: tzinfo) -> Iterator[tuple[int, ImportedTicket | str]]:
    for position, record in records:
        yield position, record if isinstance(record, str) else normalise(record, tz)


def write_mapping(path: Path, out: Path) -> int:
    """Write a starter mapping file for the export's header to `out`; nothing is imported.

    Returns the number of columns. Raises FileExistsError when `out` exists, UnicodeDecodeError,
    OSError, csv.Error or ImportFileError when the export's header cannot be read.
    """
    if out.exists():
        raise FileExistsError(str(out))
    columns = csv_header(path)
    out.write_text(import_profiles.starter(columns, path.stem), encoding="utf-8")
    return len(columns)
