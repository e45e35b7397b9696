"""A GeoReport v2 server on loopback that misbehaves as real ones and attackers do.

It serves records as tests/open311_server.py's friendly server does (windows, a cap, id lists),
and, when `mode` says so, answers every request (or only windows, `windows_only`) with:
- `bomb`: a gzip body of 1 MB that inflates to 1 GB of JSON;
- `huge`: a 2 GiB body, sent as fast as the socket takes it;
- `trickle`: the headers, then one byte every `trickle_seconds`;
- `429`: HTTP 429 with `Retry-After: retry_after`, `limit_times` times, then the records;
- `401`, `400`, `500`: the API key it was sent echoed in the body (raw, URL-encoded in the 400).
`times` keeps the instant of every request (for a rate limit honoured).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

from tests.open311_server import Open311Server

_BOMB: bytes | None = None


def bomb() -> bytes:
    """1 GB of JSON-looking text gzipped to about 1 MB (made once per process)."""
    global _BOMB
    if _BOMB is None:
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as packed:
            packed.write(b'[{"service_request_id": "')
            chunk = b"0" * (1 << 20)
            for _ in range(1024):
                packed.write(chunk)
            packed.write(b'"}]')
        _BOMB = out.getvalue()
    return _BOMB


class HostileServer(Open311Server):
    """The friendly server's data, answered in a hostile `mode` (None: friendly)."""

    def __init__(self, records: Any = (), **options: Any) -> None:
        self.mode: str | None = None
        self.windows_only = False  # the hostile mode hits windows; id lists are answered well
        self.retry_after = "2"
        self.limit_times = 1
        self.trickle_seconds = 10.0
        self.times: list[float] = []
        self.asked: list[str] = []  # each request's query, in order
        super().__init__(records, **options)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                server.times.append(time.monotonic())
                server.asked.append(url.query)
                mode = server.mode
                if server.windows_only and "service_request_id" in query:
                    mode = None
                if mode == "429" and server.limit_times > 0:
                    server.limit_times -= 1
                    return self._send(429, b'{"error": "slow down"}',
                                      {"Retry-After": server.retry_after})
                key = (query.get("api_key") or [""])[0]
                if mode == "401":
                    return self._send(401, json.dumps([{"code": 401, "description":
                                      f"api_key {key} is revoked"}]).encode())
                if mode == "400":
                    return self._send(400, json.dumps([{"code": 400, "description":
                                      f"bad query api_key={quote(key, safe='')}"}]).encode())
                if mode == "500":
                    return self._send(500, json.dumps([{"code": 500, "description":
                                      f"KeyError at /requests.json?api_key={key}"}]).encode())
                if mode == "bomb":
                    return self._send(200, bomb(), {"Content-Encoding": "gzip"})
                if mode == "huge":
                    return self._huge()
                if mode == "trickle":
                    return self._trickle()
                status, body = server.answer(url.path, query)
                self._send(status, body.encode())

            def _send(self, status: int, data: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)

            def _huge(self) -> None:
                size = 2 << 30
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                chunk = b"[" + b" " * ((1 << 20) - 1)
                try:
                    for _ in range(size // len(chunk)):
                        self.wfile.write(chunk)
                        chunk = b" " * (1 << 20)
                except OSError:
                    pass  # the client stopped reading: as it should

            def _trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "1000")
                self.end_headers()
                try:
                    for _ in range(1000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(server.trickle_seconds)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
