"""Every setting Citydesk reads from the environment, declared once in `SETTINGS`: its name, how
its text is read (with its bounds), its default and a line of help. docs/configuration.md's
table lists the same names and defaults (tests/test_settings.py keeps them equal), and every
entry point checks them all before it starts (`check_settings`: one line per bad value, never a
traceback): the dashboard, `python -m db` and `python -m queries`.

The table lives in db/ although some settings only steer the interface (language, refresh,
meeting screen): db/ is the bottom layer, which every other one (queries, ui, screens, the
command lines, the benchmark, the tests) may import, so one table here can be checked whole by
every entry point; a table in ui/ could not be read by the command lines without importing
Streamlit. The settings of scripts/run.sh, the benchmark and the tests are declared here too, so
that docs/configuration.md's table and this one name the same things.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "citydesk.db"
DEFAULT_INCIDENT_RULES = ROOT / "db" / "data" / "incidents.toml"


class SettingError(ValueError):
    """A setting's value cannot be read; its text is the one line to show."""


@dataclass(frozen=True)
class Setting:
    """One environment variable. `parse` reads its text (stripped, never empty) or raises
    ValueError with the reason; unset or empty means `default`, read the same way (None: the
    setting is off). `shown` is the documented default when it is not `default` itself; a
    `secret` value is never repeated in a message."""

    name: str
    parse: Callable[[str], object]
    default: str | None
    help: str
    shown: str | None = None
    secret: bool = False

    @property
    def documented_default(self) -> str:
        """The default as docs/configuration.md's table writes it."""
        if self.shown is not None:
            return self.shown
        return "unset" if self.default is None else f"`{self.default}`"


def _text(value: str) -> str:
    return value


def _number(kind: type, low: float | None = None, high: float | None = None,
            above: float | None = None) -> Callable[[str], object]:
    """A whole number (`kind` int) or any number, within the bounds given."""
    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            raise ValueError("not a whole number" if kind is int else "not a number") from None
        if not math.isfinite(value):
            raise ValueError("not a number")
        if low is not None and high is not None and not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        if low is not None and value < low:
            raise ValueError(f"must be at least {low:g}")
        if above is not None and value <= above:
            raise ValueError(f"must be above {above:g}")
        return value
    return parse


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in options:
            raise ValueError(f"not one of {', '.join(options)}")
        return text.lower()
    return parse


def _zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("not a time zone (e.g. Europe/Moscow)") from None


def _database_url(text: str) -> str:
    try:
        make_url(text).get_dialect()  # an unknown kind of database, too (garbage://)
    except ArgumentError:  # NoSuchModuleError among them
        raise ValueError("not a database URL (e.g. postgresql+psycopg2://user:pass@host/db)") \
            from None
    return text


def _web_url(text: str) -> str:
    if not text.lower().startswith(("http://", "https://")):
        raise ValueError("not an http:// or https:// URL")
    return text


def _basemap(text: str) -> str | None:
    return None if text.lower() in ("none", "off") else text


def _rules_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise ValueError("no such file")
    return path


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", _database_url, None,
            "any SQLAlchemy URL; PostgreSQL through psycopg2",
            shown="SQLite file `data/citydesk.db`", secret=True),
    Setting("CITY_TZ", _zone, "Europe/Moscow", "the city's time zone"),
    Setting("CITYDESK_LANG", _choice("en", "ru"), "en", "the interface language at start"),
    Setting("CITYDESK_AT_RISK_HOURS", _number(float, low=0), "2",
            "an open ticket due within this many hours is at risk"),
    Setting("CITYDESK_REFRESH_SECONDS", _number(int, low=5), "30",
            "how often pages refresh and how long query results are shared"),
    Setting("CITYDESK_WALL_SECONDS", _number(int, low=5), "20",
            "how long each panel of the meeting screen stays"),
    Setting("CITYDESK_SIMULATE", _choice("0", "1"), None,
            "1: scripts/run.sh also plays the city live"),
    Setting("CITYDESK_SIMULATE_SPEED", _number(float, above=0), "10",
            "with CITYDESK_SIMULATE=1: how many times faster than life"),
    Setting("CITYDESK_BASEMAP", _basemap, None, "a map style URL for street tiles"),
    Setting("DATABASE_READ_URL", _database_url, None, "a streaming replica to read from",
            secret=True),
    Setting("CITYDESK_READ_YOUR_WRITES_SECONDS", _number(float, low=0), "10",
            "with a replica: how long a session reads from the primary after it writes"),
    Setting("BENCH_DATABASE_URL", _database_url, None,
            "benchmark only: an existing PostgreSQL server to build on", secret=True),
    Setting("CITYDESK_MAX_FAILURES", _number(int, low=1), "5",
            "failed sign-ins in a row that lock an account"),
    Setting("CITYDESK_LOCK_MINUTES", _number(float, low=0), "15",
            "how long a locked account stays locked"),
    Setting("CITYDESK_IDLE_MINUTES", _number(float, low=1), "30",
            "a sign-in unused this long must sign in again"),
    Setting("TEST_DATABASE_URL", _database_url, None,
            "tests only: an existing PostgreSQL server", secret=True),
    Setting("PG_BIN", Path, "/usr/lib/postgresql/15/bin",
            "tests only: where initdb and pg_ctl live"),
    Setting("CHROMIUM", _text, "/usr/bin/chromium", "browser tests only: the Chromium binary"),
    Setting("CITYDESK_VK_TOKEN", _text, None, "a VK access token for the VK connector",
            secret=True),
    Setting("CITYDESK_VK_GROUPS", _text, None, "the city's VK communities, comma-separated ids"),
    Setting("CITYDESK_VK_API_URL", _web_url, "https://api.vk.com/method",
            "where VK's API answers"),
    Setting("CITYDESK_TELEGRAM_TOKEN", _text, None, "the city's Telegram bot token",
            secret=True),
    Setting("CITYDESK_TELEGRAM_API_URL", _web_url, "https://api.telegram.org",
            "where Telegram's Bot API answers"),
    Setting("CITYDESK_INCIDENT_RULES", _rules_file, None,
            "the TOML file of the incident and spike rules",
            shown="`db/data/incidents.toml`"),
    Setting("CITYDESK_OPEN311_URL", _web_url, None,
            "the city's dispatch system, an Open311 GeoReport v2 base URL"),
    Setting("CITYDESK_OPEN311_EVERY", _number(int, low=1), "60",
            "seconds between two syncs of the dispatch system"),
    Setting("CITYDESK_NOTIFY_RULES", _rules_file, None,
            "the alerts' rules file; set: scripts/run.sh runs `python -m db notify` beside the "
            "dashboard"),
    Setting("CITYDESK_SMTP_USER", _text, None, "the alerts' SMTP user, if the server wants one",
            secret=True),
    Setting("CITYDESK_SMTP_PASSWORD", _text, None, "the alerts' SMTP password", secret=True),
    Setting("CITYDESK_NOTIFY_TELEGRAM_TOKEN", _text, None,
            "the alerts' Telegram bot token", secret=True),
    Setting("CITYDESK_NOTIFY_TELEGRAM_API_URL", _web_url, None,
            "where the alerts' Bot API answers (overrides the rules file's api_url)"),
    Setting("CITYDESK_FEED_MAX_MB", _number(float, above=0), "50",
            "the largest answer a feed's server may send, in MB after decompression"),
    Setting("CITYDESK_FEED_REQUEST_SECONDS", _number(float, above=0), "60",
            "the longest a feed's request may take, all retries excluded"),
    Setting("CITYDESK_FEED_RUN_SECONDS", _number(float, above=0), "900",
            "the longest one run of `sync` may take; the next run resumes"),
    Setting("CITYDESK_ON_TIME_TARGET", _number(float, low=0, high=100), "90",
            "the on-time share (%) the city aims at"),
    Setting("CITYDESK_OVERDUE_TARGET", _number(float, low=0, high=100), "5",
            "the most overdue tickets the city accepts, as a share (%) of its open ones"),
    Setting("PORT", _number(int, low=1, high=65535), "8501",
            "scripts/run.sh: the dashboard's port"),
    Setting("CITYDESK_SCREENSHOTS", _text, "tests/artifacts/screenshots",
            "browser tests only: where their screenshots go"),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


def value(name: str) -> object:
    """The setting `name` read from the environment (its default when unset or empty); a value
    that cannot be read raises SettingError with the one line to show."""
    setting = _BY_NAME[name]
    text = (os.environ.get(name) or "").strip()
    if not text:
        return None if setting.default is None else setting.parse(setting.default)
    try:
        return setting.parse(text)
    except ValueError as error:
        shown = name if setting.secret else f"{name}={text}"
        raise SettingError(f"{shown}: {error}") from None


def check_settings() -> list[str]:
    """One line per setting whose value cannot be read, in the table's order; empty: all good."""
    problems = []
    for setting in SETTINGS:
        try:
            value(setting.name)
        except SettingError as error:
            problems.append(str(error))
    return problems


def database_url() -> str:
    """`DATABASE_URL`, or an SQLite file under data/ when it is unset."""
    return value("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def database_read_url() -> str | None:
    """`DATABASE_READ_URL`: a streaming replica the dashboard reads from; writes always go to
    `DATABASE_URL`. Unset: everything is read from `DATABASE_URL`."""
    return value("DATABASE_READ_URL")


def read_your_writes_seconds() -> float:
    """`CITYDESK_READ_YOUR_WRITES_SECONDS`: after a session writes, it reads from the primary
    this long, so it sees its own change before the replica has replayed it."""
    return value("CITYDESK_READ_YOUR_WRITES_SECONDS")


def city_tz() -> ZoneInfo:
    """`CITY_TZ`: the zone the city lives in; instants are shown and grouped by day in it."""
    return value("CITY_TZ")


def language() -> str:
    """`CITYDESK_LANG`: the interface language at start, `en` or `ru`."""
    return value("CITYDESK_LANG")


def at_risk_window() -> timedelta:
    """`CITYDESK_AT_RISK_HOURS`: how close to its deadline an open ticket counts as at risk."""
    return timedelta(hours=value("CITYDESK_AT_RISK_HOURS"))


def refresh_seconds() -> int:
    """`CITYDESK_REFRESH_SECONDS`: how often pages refresh and how long query results are shared."""
    return value("CITYDESK_REFRESH_SECONDS")


def basemap_url() -> str | None:
    """`CITYDESK_BASEMAP`: a map style URL for street tiles; unset or `none` draws our own map."""
    return value("CITYDESK_BASEMAP")


def max_failures() -> int:
    """`CITYDESK_MAX_FAILURES`: failed sign-ins in a row that lock an account."""
    return value("CITYDESK_MAX_FAILURES")


def lock_minutes() -> float:
    """`CITYDESK_LOCK_MINUTES`: how long an account stays locked after too many failures."""
    return value("CITYDESK_LOCK_MINUTES")


def idle_minutes() -> float:
    """`CITYDESK_IDLE_MINUTES`: a session left alone this long must sign in again."""
    return value("CITYDESK_IDLE_MINUTES")


def vk_token() -> str | None:
    """`CITYDESK_VK_TOKEN`: a VK service or community access token; unset: no VK connector."""
    return value("CITYDESK_VK_TOKEN")


def vk_groups() -> str:
    """`CITYDESK_VK_GROUPS`: the city's VK communities, comma-separated ids (12345,67890)."""
    return value("CITYDESK_VK_GROUPS") or ""


def vk_api_url() -> str:
    """`CITYDESK_VK_API_URL`: where VK's API answers (a proxy or a test may stand in)."""
    return value("CITYDESK_VK_API_URL")


def telegram_token() -> str | None:
    """`CITYDESK_TELEGRAM_TOKEN`: the city's bot token from @BotFather; unset: no connector."""
    return value("CITYDESK_TELEGRAM_TOKEN")


def telegram_api_url() -> str:
    """`CITYDESK_TELEGRAM_API_URL`: where Telegram's Bot API answers."""
    return value("CITYDESK_TELEGRAM_API_URL")


def incident_rules_path() -> Path:
    """`CITYDESK_INCIDENT_RULES`: the TOML file of the incident and spike rules (distance, hours,
    minimum reports, per category; the spike test's window and threshold)."""
    return value("CITYDESK_INCIDENT_RULES") or DEFAULT_INCIDENT_RULES


def open311_url() -> str | None:
    """`CITYDESK_OPEN311_URL`: the city's dispatch system (an Open311 GeoReport v2 base URL);
    when set, `scripts/run.sh` runs `python -m db sync` beside the dashboard."""
    return value("CITYDESK_OPEN311_URL")


def open311_every() -> int:
    """`CITYDESK_OPEN311_EVERY`: seconds between two syncs of the dispatch system."""
    return value("CITYDESK_OPEN311_EVERY")


def on_time_target() -> float:
    """`CITYDESK_ON_TIME_TARGET`: the share (%) of tickets resolved by their deadline that the
    city aims at; the overview colours its on-time figure against it."""
    return value("CITYDESK_ON_TIME_TARGET")


def overdue_target() -> float:
    """`CITYDESK_OVERDUE_TARGET`: the most overdue tickets the city accepts, as a share (%) of
    its open ones; the overview colours its overdue figure against it."""
    return value("CITYDESK_OVERDUE_TARGET")


def wall_seconds() -> int:
    """`CITYDESK_WALL_SECONDS`: how long each panel of the meeting screen stays on screen."""
    return value("CITYDESK_WALL_SECONDS")


def notify_rules_path() -> Path | None:
    """`CITYDESK_NOTIFY_RULES`: the alerts' rules file; unset: no notifier runs."""
    return value("CITYDESK_NOTIFY_RULES")


def smtp_user() -> str | None:
    """`CITYDESK_SMTP_USER`: the SMTP user the notifier signs in as (never in the rules file)."""
    return value("CITYDESK_SMTP_USER")


def smtp_password() -> str | None:
    """`CITYDESK_SMTP_PASSWORD`: its password; never logged, never stored."""
    return value("CITYDESK_SMTP_PASSWORD")


def notify_telegram_token() -> str | None:
    """`CITYDESK_NOTIFY_TELEGRAM_TOKEN`: the alerts' bot token; never logged, never stored."""
    return value("CITYDESK_NOTIFY_TELEGRAM_TOKEN")


def notify_telegram_api_url() -> str | None:
    """`CITYDESK_NOTIFY_TELEGRAM_API_URL`: where the alerts' Bot API answers; unset: the rules
    file's `[telegram] api_url`, else Telegram's own."""
    return value("CITYDESK_NOTIFY_TELEGRAM_API_URL")


def feed_max_bytes() -> int:
    """`CITYDESK_FEED_MAX_MB`: the largest answer a feed reads (after decompression), in bytes."""
    return int(value("CITYDESK_FEED_MAX_MB") * 1_000_000)


def feed_request_seconds() -> float:
    """`CITYDESK_FEED_REQUEST_SECONDS`: the longest one request of a feed may take."""
    return value("CITYDESK_FEED_REQUEST_SECONDS")


def feed_run_seconds() -> float:
    """`CITYDESK_FEED_RUN_SECONDS`: the longest one `sync` run may take."""
    return value("CITYDESK_FEED_RUN_SECONDS")
