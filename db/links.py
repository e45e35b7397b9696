"""Links read from outside (a feed's media_url, a post's address): only web links are kept.

A `media_url` such as `/etc/passwd` or `file:///…` would make the page read a file on the
server and serve it as a photo; a `javascript:` link would run in the viewer's browser.
"""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")


def is_web_link(text: object) -> bool:
    """Whether `text` is an absolute http(s) URL with a host."""
    if not isinstance(text, str) or any(c.isspace() or ord(c) < 32 for c in text.strip()):
        return False
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)
