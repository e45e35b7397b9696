"""A GeoReport v2 server on loopback that behaves as real ones do, for the sync's tests.

It serves `requests.json` from records given to it (the real samples in tests/data/, turned into
Open311 as a city's server would: ISO-8601 instants with offsets): windows of
`requested_datetime` limited to `max_span` (an Open311 error list otherwise), answers cut at
`cap` records, newest first, with no paging and no word of it, ids as a comma list. Faults come on
schedule: every `fail_every`-th request a 503, every `malformed_every`-th a page of broken JSON,
and after `die_after` requests every answer is a 500 (a server that went down); `max_ids`
refuses longer id lists.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from db.instants import parse_record_instant as parse_instant
from feeds import import_profiles
from feeds.importer import read_records

TIME_FIELDS = import_profiles.INSTANT_FIELDS


def open311_records(path: Path) -> list[dict[str, Any]]:
    """A city's CSV export as its Open311 server would give it: the fields its shipped mapping
    names, with every instant in UTC ISO-8601 (read in the mapping's zone)."""
    source = read_records(path)
    records = []
    for _, record in source.records:
        assert isinstance(record, dict)
        served = {k: v for k, v in record.items() if k in import_profiles.FIELDS and v != ""}
        for name in TIME_FIELDS:
            if served.get(name):
                served[name] = iso(parse_instant(served[name], source.tz))
        records.append(served)
    return records


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Open311Server:
    """The server's data and its behaviour; `url` is the base where requests.json lives."""

    def __init__(self, records: Iterable[dict[str, Any]], *, cap: int = 50,
                 max_span: timedelta = timedelta(days=90), fail_every: int = 0,
                 malformed_every: int = 0, delay: float = 0.0) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.cap, self.max_span = cap, max_span
        self.fail_every, self.malformed_every = fail_every, malformed_every
        self.delay = delay  # seconds before each answer (a slow server, to stop a sync midway)
        self.die_after: int | None = None
        self.max_ids: int | None = None  # a server that refuses longer id lists
        self.served = 0
        self.log: list[str] = []  # what each request got: ok, capped, 503, malformed, refused, 500
        self.lock = threading.Lock()
        self.put(records)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/open311/v2"

    def put(self, records: Iterable[dict[str, Any]]) -> None:
        """Add or replace records (a ticket made or changed upstream)."""
        with self.lock:
            for record in records:
                self.records[record["service_request_id"]] = dict(record)

    def close_ticket(self, key: str, at: datetime) -> None:
        """The dispatch system closes a ticket."""
        with self.lock:
            record = self.records[key]
            record.pop("status_detail", None)
            record.update(status="closed", closed_datetime=iso(at), updated_datetime=iso(at))

    @contextmanager
    def running(self) -> Iterator[Open311Server]:
        thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()
            thread.join(timeout=10)

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, str]:
        with self.lock:
            self.served += 1
            n = self.served
            if self.die_after is not None and n > self.die_after:
                return self._note(500, "500", "<h1>Internal Server Error</h1>")
            if self.fail_every and n % self.fail_every == 0:
                return self._note(503, "503", "<h1>Service Unavailable</h1>")
            if self.malformed_every and n % self.malformed_every == 0:
                return self._note(200, "malformed", '[{"service_request_id": "1", "sta')
            if not path.endswith("/requests.json"):
                return self._note(404, "404", _errors(404, "no such method"))
            found = self._find(query)
            if isinstance(found, str):
                return self._note(400, "refused", found)
            found.sort(key=lambda r: r["requested_datetime"], reverse=True)
            kind = "capped" if len(found) > self.cap else "ok"
            return self._note(200, kind, json.dumps(found[:self.cap]))

    def _find(self, query: dict[str, list[str]]) -> list[dict[str, Any]] | str:
        if "service_request_id" in query:
            ids = ",".join(query["service_request_id"]).split(",")
            if self.max_ids is not None and len(ids) > self.max_ids:
                return _errors(400, f"at most {self.max_ids} service_request_id at once")
            return [dict(self.records[i]) for i in ids if i in self.records]
        end = _param(query, "end_date") or datetime.now(UTC)
        start = _param(query, "start_date") or end - timedelta(days=90)
        if end - start > self.max_span:
            return _errors(400, f"start_date to end_date may span {self.max_span.days} days "
                                "at most")
        return [dict(r) for r in self.records.values()
                if start <= _instant(r["requested_datetime"]) <= end]

    def _note(self, status: int, kind: str, body: str) -> tuple[int, str]:
        self.log.append(kind)
        return status, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                time.sleep(server.delay)
                status, body = server.answer(url.path, parse_qs(url.query))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _errors(code: int, description: str) -> str:
    return json.dumps([{"code": code, "description": description}])


def _param(query: dict[str, list[str]], name: str) -> datetime | None:
    value = query.get(name)
    return _instant(value[0]) if value else None


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
