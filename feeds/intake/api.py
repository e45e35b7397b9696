"""Calling a social network's HTTP API: bounded retries with backoff, rate limits honoured,
every answer bounded in size and time as every feed's is (`feeds.answers`), and the access token
kept out of every message.

httpx names the URL in its exceptions and logs each request's URL at INFO, and Telegram's token
is part of that URL; so every text that leaves this module passes through `Secrets.scrub`, and
httpx's request log is kept at WARNING.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import httpx

from db.secrets import Secrets
from feeds import answers
from feeds.answers import MAX_BYTES, REQUEST_SECONDS

logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

ATTEMPTS = 5  # calls of one request at most, the first included
BACKOFF_SECONDS = 1.0  # doubled after each failed attempt
MAX_WAIT_SECONDS = 60.0  # the longest single wait, whatever the server asks
TIMEOUT_SECONDS = 30.0

sleep: Callable[[float], None] = time.sleep  # tests stand in for it


class FeedError(RuntimeError):
    """A feed could not finish: the message is one line and names no token."""


class Retry(Exception):
    """The server asked to try again, after `wait` seconds when it said how long."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


LONGEST_INTEGER = 100  # digits: a longer number in an answer is kept as text, never parsed


def json_of(response: httpx.Response) -> object:
    """The answer's JSON; a number of more than `LONGEST_INTEGER` digits stays text (Python
    refuses past 4,300 digits, which would fail the whole page for one poison record). Raises
    ValueError when the body is not JSON."""
    return json.loads(response.content, parse_int=_integer)


def _integer(text: str) -> int | str:
    return int(text) if len(text) <= LONGEST_INTEGER else text


def _wait(attempt: int, asked: float | None) -> float:
    if asked is not None and asked > 0:
        return min(asked, MAX_WAIT_SECONDS)
    return min(BACKOFF_SECONDS * 2 ** (attempt - 1), MAX_WAIT_SECONDS)


def new_client() -> httpx.Client:
    """A client for one pass, asking only the encodings `answers.read_body` inflates."""
    return httpx.Client(timeout=TIMEOUT_SECONDS, headers={"Accept-Encoding": answers.ENCODINGS})


def call(client: httpx.Client, method: str, url: str, secrets: Secrets,
         read: Callable[[httpx.Response], dict], what: str, *, max_bytes: int = MAX_BYTES,
         request_seconds: float = REQUEST_SECONDS, **kwargs) -> dict:
    """`read(response)` of one request, tried up to `ATTEMPTS` times.

    `read` returns the payload, raises `Retry` for a rate limit or a passing fault, and
    `FeedError` for a refusal that another try will not change. Network errors and HTTP 5xx are
    retried with backoff; the last failure becomes a `FeedError` naming `what`. An answer past
    `max_bytes` or `request_seconds` is a `FeedError` at once: asking again costs as much.
    """
    last = ""
    for attempt in range(1, ATTEMPTS + 1):
        asked = None
        try:
            response = _bounded(client, method, url, max_bytes, request_seconds, **kwargs)
            if response.status_code >= 500:
                raise Retry(f"HTTP {response.status_code}")
            return read(response)
        except Retry as retry:
            last, asked = str(retry), retry.wait
        except httpx.HTTPError as error:
            last = f"{type(error).__name__}: {error}"
        except (FeedError, answers.AnswerError) as error:
            raise FeedError(secrets.scrub(f"{what}: {error}")) from None
        except ValueError as error:  # a body that is not the JSON the API documents
            last = f"unreadable answer: {error}"
        if attempt < ATTEMPTS:
            sleep(_wait(attempt, asked))
    raise FeedError(secrets.scrub(f"{what}: {last} (after {ATTEMPTS} attempts)"))


def _bounded(client: httpx.Client, method: str, url: str, max_bytes: int, seconds: float,
             **kwargs) -> httpx.Response:
    """The whole response, its body read by `answers.read_body` within the bounds."""
    with client.stream(method, url, timeout=min(TIMEOUT_SECONDS, seconds), **kwargs) as answer:
        body = answers.read_body(answer, max_bytes, time.monotonic() + seconds)
    return answers.as_read(answer, body)


def paced(interval: float) -> Callable[[], None]:
    """A gate that keeps successive calls at least `interval` seconds apart."""
    last = [0.0]

    def gate() -> None:
        gap = last[0] + interval - time.monotonic()
        if gap > 0:
            sleep(gap)
        last[0] = time.monotonic()

    return gate
