"""Settings read from the environment, each with a safe default (the README lists them all)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "citydesk.db"


def database_url() -> str:
    """`DATABASE_URL`, or an SQLite file under data/ when it is unset."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def database_read_url() -> str | None:
    """`DATABASE_READ_URL`: a streaming replica the dashboard reads from; writes always go to
    `DATABASE_URL`. Unset: everything is read from `DATABASE_URL`."""
    return os.environ.get("DATABASE_READ_URL") or None


def read_your_writes_seconds() -> float:
    """`CITYDESK_READ_YOUR_WRITES_SECONDS`: after a session writes, it reads from the primary
    this long, so it sees its own change before the replica has replayed it."""
    return max(0.0, float(os.environ.get("CITYDESK_READ_YOUR_WRITES_SECONDS") or 10))


def city_tz() -> ZoneInfo:
    """`CITY_TZ`: the zone the city lives in; instants are shown and grouped by day in it."""
    return ZoneInfo(os.environ.get("CITY_TZ") or "Europe/Moscow")


def language() -> str:
    """`CITYDESK_LANG`: the interface language at start, `en` or `ru`."""
    lang = (os.environ.get("CITYDESK_LANG") or "en").lower()
    return lang if lang in ("en", "ru") else "en"


def at_risk_window() -> timedelta:
    """`CITYDESK_AT_RISK_HOURS`: how close to its deadline an open ticket counts as at risk."""
    return timedelta(hours=float(os.environ.get("CITYDESK_AT_RISK_HOURS") or 2))


def refresh_seconds() -> int:
    """`CITYDESK_REFRESH_SECONDS`: how often pages refresh and how long query results are shared."""
    return max(5, int(os.environ.get("CITYDESK_REFRESH_SECONDS") or 30))


def basemap_url() -> str | None:
    """`CITYDESK_BASEMAP`: a map style URL for street tiles; unset or `none` draws our own map."""
    value = (os.environ.get("CITYDESK_BASEMAP") or "").strip()
    return None if value.lower() in ("", "none", "off") else value


def max_failures() -> int:
    """`CITYDESK_MAX_FAILURES`: failed sign-ins in a row that lock an account."""
    return max(1, int(os.environ.get("CITYDESK_MAX_FAILURES") or 5))


def lock_minutes() -> float:
    """`CITYDESK_LOCK_MINUTES`: how long an account stays locked after too many failures."""
    return max(0.0, float(os.environ.get("CITYDESK_LOCK_MINUTES") or 15))


def idle_minutes() -> float:
    """`CITYDESK_IDLE_MINUTES`: a session left alone this long must sign in again."""
    return max(1.0, float(os.environ.get("CITYDESK_IDLE_MINUTES") or 30))


def vk_token() -> str | None:
    """`CITYDESK_VK_TOKEN`: a VK service or community access token; unset: no VK connector."""
    return (os.environ.get("CITYDESK_VK_TOKEN") or "").strip() or None


def vk_groups() -> str:
    """`CITYDESK_VK_GROUPS`: the city's VK communities, comma-separated ids (12345,67890)."""
    return os.environ.get("CITYDESK_VK_GROUPS") or ""


def vk_api_url() -> str:
    """`CITYDESK_VK_API_URL`: where VK's API answers (a proxy or a test may stand in)."""
    return os.environ.get("CITYDESK_VK_API_URL") or "https://api.vk.com/method"


def telegram_token() -> str | None:
    """`CITYDESK_TELEGRAM_TOKEN`: the city's bot token from @BotFather; unset: no connector."""
    return (os.environ.get("CITYDESK_TELEGRAM_TOKEN") or "").strip() or None


def telegram_api_url() -> str:
    """`CITYDESK_TELEGRAM_API_URL`: where Telegram's Bot API answers."""
    return os.environ.get("CITYDESK_TELEGRAM_API_URL") or "https://api.telegram.org"


def incident_rules_path() -> Path:
    """`CITYDESK_INCIDENT_RULES`: the TOML file of the incident and spike rules (distance, hours,
    minimum reports, per category; the spike test's window and threshold)."""
    given = os.environ.get("CITYDESK_INCIDENT_RULES")
    return Path(given) if given else ROOT / "db" / "data" / "incidents.toml"


def open311_url() -> str | None:
    """`CITYDESK_OPEN311_URL`: the city's dispatch system (an Open311 GeoReport v2 base URL);
    when set, `scripts/run.sh` runs `python -m db sync` beside the dashboard."""
    return (os.environ.get("CITYDESK_OPEN311_URL") or "").strip() or None


def open311_every() -> int:
    """`CITYDESK_OPEN311_EVERY`: seconds between two syncs of the dispatch system."""
    return max(1, int(os.environ.get("CITYDESK_OPEN311_EVERY") or 60))


def on_time_target() -> float:
    """`CITYDESK_ON_TIME_TARGET`: the share (%) of tickets resolved by their deadline that the
    city aims at; the overview colours its on-time figure against it."""
    return min(100.0, max(0.0, float(os.environ.get("CITYDESK_ON_TIME_TARGET") or 90)))


def overdue_target() -> float:
    """`CITYDESK_OVERDUE_TARGET`: the most overdue tickets the city accepts, as a share (%) of
    its open ones; the overview colours its overdue figure against it."""
    return min(100.0, max(0.0, float(os.environ.get("CITYDESK_OVERDUE_TARGET") or 5)))
