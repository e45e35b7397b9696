"""Links read from outside (a feed's media_url, a post's address): only web links are kept.

A `media_url` such as `/etc/passwd` or `file:///…` would make the page read a file on the
server and serve it as a photo; a `javascript:` link would run in the viewer's browser. A photo
on an internal address (`http://127.0.0.1/…`, `http://169.254.169.254/…`, `http://intranet/…`)
would be fetched by every staff browser that opens the card: photos come only from public hosts.
"""

from __future__ import annotations

import ipaddress
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


INTERNAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".lan", ".home.arpa",
                  ".intranet", ".corp")


def is_public_photo_link(text: object) -> bool:
    """A web link to a public host: not an IP address of a private, loopback, link-local,
    reserved or multicast network, nor a name without a dot or of an internal domain. (A
    public name is not resolved here: what it resolves to is the browser's and DNS's.)"""
    if not is_web_link(text):
        return False
    host = (urlsplit(str(text).strip()).hostname or "").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.isdigit() or host.startswith("0x"):
            return False  # an address written as one number: http://2130706433/
        return "." in host and not host.endswith(INTERNAL_NAMES) and host not in INTERNAL_NAMES
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast
