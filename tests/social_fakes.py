"""Fake VK and Telegram APIs on loopback, answering in the documented shapes.

VK (https://dev.vk.com/method/wall.get, wall.getComments): `{"response": {"count", "items",
"profiles", "groups"}}`, errors `{"error": {"error_code", "error_msg"}}`. Telegram Bot API
(https://core.telegram.org/bots/api#getupdates): `{"ok": true, "result": [...]}`, HTTP 429 with
Retry-After and `parameters.retry_after`. Faults are switched on by the test: rate limits every
Nth call, pages past the first that fail with HTTP 503 (a restart between pages), and hostile
answers (`FakeApi.hostile`): a gzip bomb, a body that never ends, one that trickles.
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BOMB_BYTES = 20_000_000  # what the gzip bomb inflates to
CHUNK = b" " * 65536
HOSTILE_SECONDS = 60.0  # the longest an endless or trickling answer goes on, reader or not


@functools.cache
def bomb() -> bytes:
    """A JSON-looking answer of `BOMB_BYTES` gzipped to about 20 KB (made once per process)."""
    return gzip.compress(b'{"response": {"items": [' + b" " * BOMB_BYTES + b"]}}", 9)


class FakeApi:
    """State shared with the handler; `calls` counts every request, `paths` keeps them."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls = 0
        self.rate_limit_every = 0  # every Nth call is refused as too many (0: never)
        self.broken_pages = False  # pages past the first answer HTTP 503
        self.hostile: str | None = None  # "bomb", "endless" or "trickle": every answer so
        self.trickle_seconds = 0.2  # between two bytes of a trickling answer
        self.lock = threading.Lock()

    def count(self) -> int:
        with self.lock:
            self.calls += 1
            return self.calls

    def limited(self, number: int) -> bool:
        return bool(self.rate_limit_every) and number % self.rate_limit_every == 0


class FakeVk(FakeApi):
    """Communities' walls: `posts[group]` newest last, `comments[(group, post)]` oldest first."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.posts: dict[int, list[dict]] = {}
        self.comments: dict[tuple[int, int], list[dict]] = {}
        self.profiles: dict[int, dict] = {}

    def answer(self, method: str, form: dict[str, str]) -> tuple[int, dict]:
        number = self.count()
        if form.get("access_token") != self.token:
            return 200, {"error": {"error_code": 5, "error_msg": "User authorization failed"}}
        if form.get("v") != "5.199":
            return 200, {"error": {"error_code": 100, "error_msg": "bad version"}}
        if self.limited(number):
            return 200, {"error": {"error_code": 6,
                                   "error_msg": "Too many requests per second"}}
        offset, count = int(form.get("offset", 0)), int(form.get("count", 20))
        if self.broken_pages and offset > 0:
            return 503, {}
        group = -int(form["owner_id"])
        if method == "wall.get":
            every = list(reversed(self.posts.get(group, [])))
        elif method == "wall.getComments":
            every = list(self.comments.get((group, int(form["post_id"])), []))
        else:
            return 200, {"error": {"error_code": 3, "error_msg": "Unknown method passed"}}
        items = every[offset:offset + min(count, 100)]
        authors = {i["from_id"] for i in items if i.get("from_id", 0) > 0}
        return 200, {"response": {
            "count": len(every), "items": items,
            "profiles": [self.profiles[a] for a in sorted(authors) if a in self.profiles],
            "groups": [{"id": group, "name": f"Community {group}"}]}}


class FakeTelegram(FakeApi):
    """A bot's pending updates; those below a call's offset are forgotten, as Telegram does."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.updates: list[dict] = []
        self.retry_after = 1
        self.page_size = 100  # the most one answer brings (Telegram: up to `limit`, or fewer)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict, dict]:
        number = self.count()
        if path != f"/bot{self.token}/getUpdates":
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        if self.limited(number):
            return 429, {"ok": False, "error_code": 429,
                         "description": f"Too Many Requests: retry after {self.retry_after}",
                         "parameters": {"retry_after": self.retry_after}}, {
                "Retry-After": str(self.retry_after)}
        offset = int(query.get("offset", 0))
        if self.broken_pages and offset > 0:
            return 503, {}, {}
        with self.lock:
            if offset:  # forgotten below the offset, and any update of a broken id with them
                self.updates = [u for u in self.updates if isinstance(u["update_id"], int)
                                and u["update_id"] >= offset]
            page = self.updates[:min(int(query.get("limit", 100)), 100, self.page_size)]
        return 200, {"ok": True, "result": page}, {}


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode() if body else b"Service Unavailable"
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if body else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _hostile(self) -> None:
            """A 200 whose body is a gzip bomb, never ends, or comes a byte at a time."""
            api.count()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if api.hostile == "bomb":
                data = bomb()
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.end_headers()  # no length: the body ends when the connection does
            stop = time.monotonic() + HOSTILE_SECONDS
            try:
                self.wfile.write(b'{"response": ')
                while time.monotonic() < stop:
                    if api.hostile == "trickle":
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(api.trickle_seconds)
                    else:
                        self.wfile.write(CHUNK)
            except OSError:  # the reader gave up and closed the connection
                pass
            self.close_connection = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            assert isinstance(api, FakeVk)
            if api.hostile:
                return self._hostile()
            self._send(*api.answer(urlparse(self.path).path.rsplit("/", 1)[-1], form))

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            assert isinstance(api, FakeTelegram)
            if api.hostile:
                return self._hostile()
            self._send(*api.answer(url.path, query))

    return Handler


@contextmanager
def serving(api: FakeApi) -> Iterator[str]:
    """The fake on a free loopback port, for the block: its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
