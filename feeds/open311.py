"""An Open311 GeoReport v2 server, read as real ones behave: `requests.json` with the standard
parameters alone (`start_date`, `end_date`, `service_request_id` as a comma list).

Real servers fail in every way: refused connections, timeouts, 5xx pages, a page of malformed
JSON, and Open311's own error list `[{"code": …, "description": …}]`. Transient failures are
retried with a bounded exponential backoff; a query the server refuses (4xx or an error list) is
not retried but reported as `Refused`, so the caller can ask a smaller window instead. A 429 is
waited out as its `Retry-After` says (`RateLimited` when that is longer than the run may wait).

Every answer is bounded (`feeds.answers`): at most `max_bytes` after decompression (a gzip bomb
costs `max_bytes`, not the memory); a request takes at most `request_seconds` however slowly the
body trickles; and nothing is asked past the run's `deadline`. No message ever carries the API
key, in any spelling (`db.secrets`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from db.secrets import Secrets, url_secrets, without_credentials
from feeds import answers
from feeds.answers import MAX_BYTES, REQUEST_SECONDS

RETRIES = 4  # after the first try: 5 tries in all
BACKOFF_SECONDS = 0.5  # doubled at each retry, at most MAX_BACKOFF_SECONDS
MAX_BACKOFF_SECONDS = 30.0
TIMEOUT_SECONDS = 30.0  # connecting, and waiting for any one piece of the answer
MAX_RETRY_AFTER = 600.0  # the longest a 429's Retry-After is waited out within a run
LONGEST_INTEGER = 100  # digits: a longer number in an answer is kept as text, never parsed
TRANSIENT_STATUSES = (408, 425)


class Open311Error(Exception):
    """The server could not answer this query; the message is one line."""


class Refused(Open311Error):
    """The server refused this query (a 4xx answer or an Open311 error list)."""


class Unavailable(Open311Error):
    """The server did not answer usably even after every retry."""


class Unreachable(Unavailable):
    """No answer at all (a refused connection): asking a smaller window cannot help."""


class RateLimited(Unavailable):
    """The server asks to wait (HTTP 429) longer than the run may: asking less cannot help."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


class TooLarge(Unavailable):
    """An answer past `max_bytes` (`answers.TooLarge`: a gzip bomb, an endless body): not asked
    again this run."""


class OutOfTime(Unavailable):
    """The run's time is spent: what it wrote stays, the next run resumes."""


class Fatal(Open311Error):
    """Retrying or asking less cannot help: a refused key, no such endpoint, a bad URL."""


def w3c(instant: datetime) -> str:
    """An instant as GeoReport v2 asks it (W3C, UTC): 2010-01-01T00:00:00Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Open311:
    """The `requests.json` of one endpoint (`base_url` is where requests.json lives)."""

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 jurisdiction: str | None = None, retries: int = RETRIES,
                 backoff: float | None = None, timeout: float = TIMEOUT_SECONDS,
                 request_seconds: float = REQUEST_SECONDS, max_bytes: int = MAX_BYTES,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.secrets = Secrets(tuple(v for v in (api_key, *url_secrets(base_url)) if v))
        self.url = base_url.rstrip("/") + "/requests.json"
        self.shown_url = without_credentials(self.url)
        self.api_key = api_key
        self.extra = {k: v for k, v in (("api_key", api_key), ("jurisdiction_id", jurisdiction))
                      if v}
        self.retries, self.sleep = retries, sleep
        self.backoff = BACKOFF_SECONDS if backoff is None else backoff
        self.timeout, self.request_seconds, self.max_bytes = timeout, request_seconds, max_bytes
        self.deadline: float | None = None  # time.monotonic() past which nothing is asked
        self.requests = 0
        self.http = httpx.Client(timeout=timeout, headers={
            "Accept": "application/json", "Accept-Encoding": answers.ENCODINGS})

    def close(self) -> None:
        self.http.close()

    def window(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Requests made from `start` to `end`, both included (as many as the server gives)."""
        return self._get({"start_date": w3c(start), "end_date": w3c(end)})

    def by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The requests with these ids (as many as the server gives)."""
        return self._get({"service_request_id": ",".join(ids)})

    def _left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def _get(self, params: dict[str, str]) -> list[dict[str, Any]]:
        wait = 0.0
        last: Open311Error = Unavailable("no answer")
        for attempt in range(self.retries + 1):
            if attempt:
                if wait > self._left():
                    raise OutOfTime(f"{last}; the run's time is spent")
                self.sleep(wait)
            if self._left() <= 0:
                raise OutOfTime("the run's time is spent")
            try:
                return self._once(params)
            except TooLarge:
                raise
            except RateLimited as exc:
                last = exc
                if exc.wait is not None and exc.wait > min(MAX_RETRY_AFTER, self._left()):
                    raise RateLimited(f"{exc}; the server asks to wait {exc.wait:g} s, longer "
                                      "than this run may: the next run resumes", exc.wait) \
                        from None
                wait = exc.wait if exc.wait is not None else self._backoff(attempt)
            except Unavailable as exc:
                last = exc
                wait = self._backoff(attempt)
        raise type(last)(f"{last} ({self.retries + 1} tries)")

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * 2 ** attempt, MAX_BACKOFF_SECONDS)

    def _once(self, params: dict[str, str]) -> list[dict[str, Any]]:
        try:
            return self._ask(params)
        except Open311Error as exc:
            exc.args = (self.secrets.scrub(str(exc)),)
            raise

    def _ask(self, params: dict[str, str]) -> list[dict[str, Any]]:
        self.requests += 1
        seconds = min(self.request_seconds, max(self._left(), 0.001))
        try:
            with self.http.stream("GET", self.url, params={**params, **self.extra},
                                  timeout=min(self.timeout, seconds)) as answer:
                body = answers.read_body(answer, self.max_bytes, time.monotonic() + seconds)
        except answers.TooLarge as exc:
            raise TooLarge(str(exc)) from None
        except answers.AnswerError as exc:
            raise Unavailable(str(exc)) from None
        except httpx.TimeoutException:
            raise Unavailable("the server did not answer in time") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise Fatal(f"not a usable URL: {exc}") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"cannot reach the server: {exc}") from None
        data, readable = _json(body)
        errors = _error_list(data) if readable else ""
        said = f": {errors}" if errors else ""
        status = answer.status_code
        if status in (401, 403):
            raise Fatal(f"the server refused access (HTTP {status}{said}); check --api-key")
        if status == 404 and not errors:
            raise Fatal(f"no Open311 requests.json at {self.shown_url} (HTTP 404)")
        if status == 429:
            raise RateLimited(f"HTTP 429{said}", _retry_after(answer.headers.get("Retry-After")))
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise Unavailable(f"HTTP {status}{said}")
        if status >= 400:
            raise Refused(f"HTTP {status}{said}")
        if errors:
            raise Refused(f"Open311 error: {errors}")
        if not readable:
            raise Unavailable("a page of malformed JSON")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise Unavailable("an answer that is not a list of service requests")
        return data


def _json(body: bytes) -> tuple[Any, bool]:
    """The parsed body, and whether it parsed; a number longer than `LONGEST_INTEGER` digits
    is kept as its text (Python refuses to parse past 4,300, and no id needs a hundred)."""
    try:
        return json.loads(body, parse_int=_integer), True
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError among them
        return None, False


def _integer(text: str) -> int | str:
    return int(text) if len(text) <= LONGEST_INTEGER else text


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date; None when it says neither."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError, OverflowError):
        return None


def _error_list(data: Any) -> str:
    """Open311's `[{"code": …, "description": …}]`, as one line; empty when it is not one."""
    if (isinstance(data, list) and data and all(
            isinstance(e, dict) and "description" in e and "service_request_id" not in e
            for e in data)):
        return "; ".join(f"{e.get('code', '?')} {e.get('description')}" for e in data)[:300]
    return ""
