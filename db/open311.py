"""An Open311 GeoReport v2 server, read as real ones behave: `requests.json` with the standard
parameters alone (`start_date`, `end_date`, `service_request_id` as a comma list).

Real servers fail in every way: refused connections, timeouts, 5xx pages, a page of malformed
JSON, and Open311's own error list `[{"code": …, "description": …}]`. Transient failures are
retried with a bounded exponential backoff; a query the server refuses (4xx or an error list) is
not retried but reported as `Refused`, so the caller can ask a smaller window instead. No message
ever carries the API key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

RETRIES = 4  # after the first try: 5 tries in all
BACKOFF_SECONDS = 0.5  # doubled at each retry, at most MAX_BACKOFF_SECONDS
MAX_BACKOFF_SECONDS = 30.0
TIMEOUT_SECONDS = 30.0
TRANSIENT_STATUSES = (408, 425, 429)


class Open311Error(Exception):
    """The server could not answer this query; the message is one line."""


class Refused(Open311Error):
    """The server refused this query (a 4xx answer or an Open311 error list)."""


class Unavailable(Open311Error):
    """The server did not answer usably even after every retry."""


class Unreachable(Unavailable):
    """No answer at all (a refused connection): asking a smaller window cannot help."""


class Fatal(Open311Error):
    """Retrying or asking less cannot help: a refused key, no such endpoint."""


def w3c(instant: datetime) -> str:
    """An instant as GeoReport v2 asks it (W3C, UTC): 2010-01-01T00:00:00Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Open311:
    """The `requests.json` of one endpoint (`base_url` is where requests.json lives)."""

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 jurisdiction: str | None = None, retries: int = RETRIES,
                 backoff: float | None = None, timeout: float = TIMEOUT_SECONDS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = base_url.rstrip("/") + "/requests.json"
        self.api_key = api_key
        self.extra = {k: v for k, v in (("api_key", api_key), ("jurisdiction_id", jurisdiction))
                      if v}
        self.retries, self.sleep = retries, sleep
        self.backoff = BACKOFF_SECONDS if backoff is None else backoff
        self.http = httpx.Client(timeout=timeout, headers={"Accept": "application/json"})

    def close(self) -> None:
        self.http.close()

    def window(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Requests made from `start` to `end`, both included (as many as the server gives)."""
        return self._get({"start_date": w3c(start), "end_date": w3c(end)})

    def by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The requests with these ids (as many as the server gives)."""
        return self._get({"service_request_id": ",".join(ids)})

    def _get(self, params: dict[str, str]) -> list[dict[str, Any]]:
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))
            try:
                return self._once(params)
            except Unavailable as exc:
                last = exc
        raise type(last)(f"{last} ({self.retries + 1} tries)")

    def _once(self, params: dict[str, str]) -> list[dict[str, Any]]:
        try:
            answer = self.http.get(self.url, params={**params, **self.extra})
        except httpx.TimeoutException:
            raise Unavailable("the server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise Unreachable(self._clean(f"cannot reach the server: {exc}")) from None
        errors = _error_list(answer)
        said = f": {errors}" if errors else ""
        if answer.status_code in (401, 403):
            raise Fatal(f"the server refused access (HTTP {answer.status_code}{said}); "
                        "check --api-key")
        if answer.status_code == 404 and not errors:
            raise Fatal(f"no Open311 requests.json at {self.url} (HTTP 404)")
        if answer.status_code >= 500 or answer.status_code in TRANSIENT_STATUSES:
            raise Unavailable(f"HTTP {answer.status_code}{said}")
        if answer.status_code >= 400:
            raise Refused(self._clean(f"HTTP {answer.status_code}{said or ''}"))
        if errors:
            raise Refused(self._clean(f"Open311 error: {errors}"))
        try:
            data = answer.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise Unavailable("a page of malformed JSON") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise Unavailable("an answer that is not a list of service requests")
        return data

    def _clean(self, text: str) -> str:
        line = " ".join(text.split())
        return line.replace(self.api_key, "***") if self.api_key else line


def _error_list(answer: httpx.Response) -> str:
    """Open311's `[{"code": …, "description": …}]`, as one line; empty when it is not one."""
    try:
        data = answer.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if (isinstance(data, list) and data and all(
            isinstance(e, dict) and "description" in e and "service_request_id" not in e
            for e in data)):
        return "; ".join(f"{e.get('code', '?')} {e.get('description')}" for e in data)[:300]
    return ""
