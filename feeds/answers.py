"""An outside server's answer, read within bounds: the body is read raw and decompressed here, at
most `max_bytes` after decompression (a gzip bomb or an endless body costs `max_bytes`, not the
memory), by a deadline however slowly it trickles. Every feed reads its answers this way: the
Open311 sync (`feeds.open311`) and the VK and Telegram connectors (`feeds.intake.api`).
"""

from __future__ import annotations

import time
import zlib

import httpx

MAX_BYTES = 50_000_000  # of one answer, after decompression (CITYDESK_FEED_MAX_MB)
REQUEST_SECONDS = 60.0  # one whole request, however slowly its body comes
ENCODINGS = "gzip, deflate"  # the Accept-Encoding of every feed: what `read_body` inflates


class AnswerError(Exception):
    """An answer not read within its bounds; the message is one line."""


class TooLarge(AnswerError):
    """An answer past `max_bytes` after decompression (a gzip bomb, an endless body)."""


class TooSlow(AnswerError):
    """An answer whose body did not come by its deadline (a server that trickles)."""


def read_body(answer: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    """The body of a streamed `answer`, decompressed by at most `max_bytes` and read by
    `deadline` (time.monotonic()); the rest is never read."""
    encoding = answer.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, by its header
    elif encoding in ("", "identity"):
        inflater = None
    else:
        raise AnswerError(f"an answer in an unknown encoding ({encoding[:40]})")
    parts = bytearray()
    for chunk in answer.iter_raw():  # each piece as it comes: a trickle meets the deadline
        if time.monotonic() > deadline:
            raise TooSlow("the server sent its answer too slowly")
        while chunk:
            if inflater is None:
                piece, chunk = chunk, b""
            else:
                piece = inflater.decompress(chunk, max_bytes - len(parts) + 1)
                chunk = inflater.unconsumed_tail
            if len(parts) + len(piece) > max_bytes:
                del parts[:]  # freed now, whatever keeps this frame
                raise TooLarge(f"an answer larger than {max_bytes / 1e6:g} MB")
            parts += piece
    return bytes(parts)


def as_read(answer: httpx.Response, body: bytes) -> httpx.Response:
    """A whole response holding `body` (already decompressed) in place of the streamed
    `answer`: its status and headers, less those that described the body on the wire."""
    headers = [(k, v) for k, v in answer.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(answer.status_code, headers=headers, content=body,
                          request=answer.request)
