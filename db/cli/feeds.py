"""Commands that bring tickets in from a city's own records: `import` and `sync`."""

from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from db.config import feed_max_bytes, feed_request_seconds, open311_every, open311_url
from db.engine import UNREACHABLE, make_engine
from db.links import is_web_link
from db.secrets import Secrets, url_secrets
from db.transactions import Contention
from feeds import import_profiles
from feeds.health import cursor as feed_cursor
from feeds.importer import ConcurrentChange, ImportFileError, write_mapping
from feeds.importer import import_file as import_records
from feeds.open311 import Open311
from feeds.sync import Sync, SyncError, feed_name, parse_since


def import_file(args: argparse.Namespace) -> int:
    """Print the counts, and each skipped record on stderr.

    Exit 0 when everything was imported, 1 when any record was skipped, 2 when the file (or the
    time zone) is unusable: then nothing is written.
    """
    try:
        tz = ZoneInfo(args.tz) if args.tz else None
    except (ZoneInfoNotFoundError, ValueError):
        print(f"import: unknown time zone {args.tz!r}", file=sys.stderr)
        return 2
    if args.write_mapping:
        return _write_mapping(Path(args.file), Path(args.write_mapping))
    try:
        mapping = import_profiles.load(args.mapping) if args.mapping else None
    except import_profiles.MappingError as exc:
        print(f"import: mapping {exc}", file=sys.stderr)
        return 2
    engine = make_engine(args.database)
    try:
        report = import_records(engine, args.file, tz, progress=True, mapping=mapping)
    except ImportFileError as exc:
        print(f"import: {args.file}: {exc}", file=sys.stderr)
        return 2
    except (Contention, ConcurrentChange) as exc:
        print(f"import: {args.file}: {exc}; nothing was written, run it again", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for position, reason in report.skips:
        print(f"{args.file}: {report.unit} {position}: {reason}", file=sys.stderr)
    print(report.summary())
    return 1 if report.skips else 0


def _write_mapping(path: Path, out: Path) -> int:
    try:
        columns = write_mapping(path, out)
    except FileExistsError:
        print(f"import: {out} exists; give another name, or delete it first", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"import: {path}: not UTF-8 text", file=sys.stderr)
        return 2
    except (OSError, csv.Error, ImportFileError) as exc:
        print(f"import: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {columns} columns of {path.name}; fill it in, then "
          f"python -m db import {path} --mapping {out}")
    return 0


def sync(args: argparse.Namespace) -> int:
    """`--once`: one run, exit 0, or 1 with a one-line reason. Otherwise a run every `--every`
    seconds until stopped; a failed run is recorded and the next one tries again."""
    url = args.url or open311_url()
    if url is None:
        print("sync: give the server's URL (or set CITYDESK_OPEN311_URL)", file=sys.stderr)
        return 2
    secrets = Secrets(tuple(v for v in (args.api_key, *url_secrets(url)) if v))
    if not is_web_link(url):
        print(f"sync: not an http:// or https:// URL: {secrets.scrub(repr(url))}",
              file=sys.stderr)
        return 2
    try:
        since = parse_since(args.since, datetime.now(UTC))
    except ValueError:
        print(f"sync: --since is not an ISO-8601 instant: {args.since!r}", file=sys.stderr)
        return 2
    try:
        every = open311_every() if args.every is None else args.every
    except ValueError:
        print("sync: CITYDESK_OPEN311_EVERY is not a whole number of seconds", file=sys.stderr)
        return 2
    if every < 1:
        print("sync: --every must be at least 1 second", file=sys.stderr)
        return 2
    engine = make_engine(args.database)
    server = Open311(url, api_key=args.api_key, jurisdiction=args.jurisdiction,
                     request_seconds=feed_request_seconds(), max_bytes=feed_max_bytes())
    say = _Say(secrets)
    feed = Sync(engine, server, feed_name(url, args.jurisdiction), every=every, progress=True,
                on_skip=lambda key, reason: say.err(f"sync: request {key}: {reason}"))
    again = args.since is not None and _resumes(engine, feed, say, since)
    try:
        while True:
            started = time.monotonic()
            code = _sync_once(feed, since, once=args.once, say=say, again=again)
            again = False  # --since is read again by the first run only
            if args.once:
                return code
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return 0
    finally:
        server.close()
        engine.dispose()


class _Say:
    """Lines printed by `sync`, every one scrubbed of the key and the URL's password."""

    def __init__(self, secrets: Secrets) -> None:
        self.secrets = secrets

    def out(self, line: str) -> None:
        print(self.secrets.scrub(line), flush=True)

    def err(self, line: str) -> None:
        print(self.secrets.scrub(line), file=sys.stderr, flush=True)


def _resumes(engine, feed: Sync, say: _Say, since: datetime) -> bool:
    """`--since` on a feed that has a watermark: the first run reads again from `since`, and
    says so (a feed's first run starts there anyway)."""
    with engine.connect() as conn:
        mark = (feed_cursor(conn, feed.name) or {}).get("watermark")
    if mark:
        say.err(f"sync: {feed.name}: --since given: reading again from "
                f"{since.astimezone(UTC).isoformat()} (the feed had read up to {mark})")
    return bool(mark)


def _sync_once(feed: Sync, since: datetime, once: bool, say: _Say, again: bool = False) -> int:
    try:
        report = feed.run(since, again=again)
    except SyncError as exc:
        say.err(f"sync: {feed.name}: {exc}")
        return 1
    except UNREACHABLE:
        if once:
            raise
        say.err(f"sync: {feed.name}: the database is unreachable; trying again in "
                f"{feed.every} s")
        return 1
    for note in report.notes:
        say.err(f"sync: {feed.name}: {note}")
    say.out(f"sync: {feed.name}: {report.summary()}")
    return 0
