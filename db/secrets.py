"""Secrets kept out of every text that leaves a feed: scrubbed by value, in every spelling.

A server may echo what it was sent: an API key in a 401 or 5xx page, URL-encoded in a 400
("api_key=a%2Bb"), a bot token or only its secret half (Telegram's `123456:AAH…`), a URL's
password. Whatever outside text is kept (a feed's last error, a printed line, a log), it passes
through `Secrets.scrub` first, which replaces each secret and each of its spellings by `***`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

MASK = "***"
SHORTEST_PART = 6  # a token's part shorter than this is not secret on its own (a bot's id is)


def spellings(secret: str) -> set[str]:
    """The secret and the ways a server may write it back: URL-encoded (both flavours, upper
    and lower case escapes), and each half of a `id:secret` token that is long enough."""
    found = {secret}
    for text in (quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)):
        found |= {text, text.lower()}
    for part in secret.replace(":", " ").split():
        if len(part) >= SHORTEST_PART and part != secret and not part.isdigit():
            found |= spellings(part)
    return {s for s in found if s}


@dataclass(frozen=True)
class Secrets:
    """The values that must never be shown: replaced by *** wherever they appear."""

    values: tuple[str, ...]

    def scrub(self, text: str) -> str:
        """`text` on one line, with every spelling of every secret masked (longest first, so a
        token's half never leaves the rest of it readable)."""
        every = sorted({s for v in self.values if v for s in spellings(v)}, key=len, reverse=True)
        for value in every:
            text = text.replace(value, MASK)
        return " ".join(text.split())


def url_secrets(url: str) -> tuple[str, ...]:
    """The password a URL carries, to be scrubbed wherever the URL is echoed."""
    try:
        password = urlsplit(url).password
        return (password,) if password else ()
    except ValueError:
        return ()


def without_credentials(url: str) -> str:
    """The URL with no `user:password@` (what a feed is named and shown by)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
