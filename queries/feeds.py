"""Each feed's health as the pages show it (feeds.health keeps it), so pages never read tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from feeds.health import FeedHealth, health


def feed_health(conn: Connection, now: datetime) -> list[FeedHealth]:
    """Every feed of any kind (Open311 sync, VK, Telegram…), by name, as of `now`."""
    return health(conn, now)
