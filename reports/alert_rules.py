"""The notifier's rules file (`CITYDESK_NOTIFY_RULES`, `--rules`): who gets which alerts, how.

Read whole or refused whole, in one line naming the place and the fault (as `sla load` does): a
file with one bad recipient sends nothing rather than half of what was meant. Secrets never come
from the file: the SMTP user and password and the bot's token are read from the environment.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from db.config import (
    notify_telegram_api_url,
    notify_telegram_token,
    smtp_password,
    smtp_user,
)
from db.links import is_web_link
from db.schema import ALERT_KINDS

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_TOP = {"base_url", "morning", "week", "smtp", "telegram", "recipient"}
_SMTP = {"host", "port", "sender", "starttls"}
_RECIPIENT = {"name", "email", "telegram_chat", "lang", "gets", "department", "quiet"}


class AlertRulesError(ValueError):
    """The file cannot be used; the text is the one line to show."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    starttls: bool
    user: str | None
    password: str | None

    def __repr__(self) -> str:  # the password never reaches a log through a repr
        return f"Smtp(host={self.host!r}, port={self.port}, sender={self.sender!r})"


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str | None
    telegram_chat: str | None
    lang: str
    gets: frozenset[str]
    department: str | None  # as written: a code or a name, resolved against the database
    quiet: tuple[time, time] | None  # city time; the end may be before the start (overnight)

    def channels(self) -> list[tuple[str, str]]:
        """(channel, address) pairs this recipient is reached by."""
        out = []
        if self.email:
            out.append(("email", self.email))
        if self.telegram_chat:
            out.append(("telegram", self.telegram_chat))
        return out


@dataclass(frozen=True)
class AlertRules:
    source: str
    base_url: str
    smtp: Smtp | None
    telegram_api_url: str
    telegram_token: str | None
    recipients: tuple[Recipient, ...]
    morning: time
    week_day: int  # 0 = Monday
    week_time: time

    def __repr__(self) -> str:
        return f"AlertRules({self.source!r}, {len(self.recipients)} recipients)"


def _clock(text: object, where: str) -> time:
    match = _CLOCK.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise AlertRulesError(f"{where}: {text!r} is not a time of day HH:MM")
    return time(int(match[1]), int(match[2]))


def _week(text: object) -> tuple[int, time]:
    parts = text.split() if isinstance(text, str) else []
    if len(parts) != 2 or parts[0][:3].lower() not in WEEKDAYS:
        raise AlertRulesError(f"week: {text!r} is not a day and a time, e.g. \"Mon 08:30\"")
    return WEEKDAYS.index(parts[0][:3].lower()), _clock(parts[1], "week")


def _unknown(table: dict, allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise AlertRulesError(f"{where}: unknown key {extra[0]!r} (known: "
                              f"{', '.join(sorted(allowed))})")


def _text(table: dict, key: str, where: str, required: bool = True) -> str | None:
    value = table.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and key == "telegram_chat":
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise AlertRulesError(f"{where}: {key} must be a non-empty text")
    return value.strip()


def _recipient(table: object, n: int, seen: set[str]) -> Recipient:
    if not isinstance(table, dict):
        raise AlertRulesError(f"recipient {n}: not a table")
    name = _text(table, "name", f"recipient {n}")
    where = f"recipient {name!r}"
    _unknown(table, _RECIPIENT, where)
    if name in seen:
        raise AlertRulesError(f"{where}: the name is given twice")
    seen.add(name)
    email = _text(table, "email", where, required=False)
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        raise AlertRulesError(f"{where}: email {email!r} is not an address")
    chat = _text(table, "telegram_chat", where, required=False)
    if email is None and chat is None:
        raise AlertRulesError(f"{where}: give an email or a telegram_chat")
    lang = table.get("lang", "en")
    if lang not in ("en", "ru"):
        raise AlertRulesError(f"{where}: lang must be en or ru")
    gets = table.get("gets")
    if not isinstance(gets, list) or not gets:
        raise AlertRulesError(f"{where}: gets must list kinds ({', '.join(ALERT_KINDS)})")
    for kind in gets:
        if kind not in ALERT_KINDS:
            raise AlertRulesError(f"{where}: gets: unknown kind {kind!r} "
                                  f"(one of {', '.join(ALERT_KINDS)})")
    quiet = None
    if "quiet" in table:
        text = table["quiet"]
        parts = text.split("-") if isinstance(text, str) else []
        if len(parts) != 2:
            raise AlertRulesError(f"{where}: quiet {text!r} is not HH:MM-HH:MM")
        quiet = (_clock(parts[0], f"{where}: quiet"), _clock(parts[1], f"{where}: quiet"))
        if quiet[0] == quiet[1]:
            raise AlertRulesError(f"{where}: quiet starts and ends at the same time")
    return Recipient(name=name, email=email, telegram_chat=chat, lang=lang,
                     gets=frozenset(gets), department=_text(table, "department", where, False),
                     quiet=quiet)


def parse(text: str, source: str = "<rules>") -> AlertRules:
    """The rules of a TOML text; AlertRulesError (one line) when anything in it is wrong."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AlertRulesError(f"not TOML: {error}") from None
    _unknown(raw, _TOP, "the file")
    base_url = raw.get("base_url")
    if not isinstance(base_url, str) or not is_web_link(base_url):
        raise AlertRulesError("base_url must be an http:// or https:// address")
    smtp = None
    if "smtp" in raw:
        table = raw["smtp"]
        if not isinstance(table, dict):
            raise AlertRulesError("[smtp]: not a table")
        _unknown(table, _SMTP, "[smtp]")
        port = table.get("port", 25)
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise AlertRulesError("[smtp]: port must be a whole number 1–65535")
        if not isinstance(table.get("starttls", False), bool):
            raise AlertRulesError("[smtp]: starttls must be true or false")
        smtp = Smtp(host=_text(table, "host", "[smtp]"), port=port,
                    sender=_text(table, "sender", "[smtp]"),
                    starttls=table.get("starttls", False), user=smtp_user(),
                    password=smtp_password())
    telegram = raw.get("telegram", {})
    if not isinstance(telegram, dict):
        raise AlertRulesError("[telegram]: not a table")
    _unknown(telegram, {"api_url"}, "[telegram]")
    api_url = notify_telegram_api_url() or telegram.get("api_url") or "https://api.telegram.org"
    if not is_web_link(api_url):
        raise AlertRulesError("[telegram]: api_url must be an http:// or https:// address")
    people = raw.get("recipient")
    if not isinstance(people, list) or not people:
        raise AlertRulesError("no [[recipient]]: nobody to alert")
    seen: set[str] = set()
    recipients = tuple(_recipient(table, n, seen) for n, table in enumerate(people, 1))
    token = notify_telegram_token()
    for r in recipients:
        if r.email and smtp is None:
            raise AlertRulesError(f"recipient {r.name!r}: an email needs an [smtp] table")
        if r.telegram_chat and not token:
            raise AlertRulesError(f"recipient {r.name!r}: a telegram_chat needs the bot's token "
                                  "in CITYDESK_NOTIFY_TELEGRAM_TOKEN")
    day, at = _week(raw.get("week", "Mon 08:30"))
    return AlertRules(source=source, base_url=base_url.rstrip("/"), smtp=smtp,
                      telegram_api_url=api_url.rstrip("/"), telegram_token=token,
                      recipients=recipients, morning=_clock(raw.get("morning", "08:00"),
                                                            "morning"),
                      week_day=day, week_time=at)


def load(path: str | Path) -> AlertRules:
    """The rules of the file at `path`; AlertRulesError (one line) when it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AlertRulesError(getattr(error, "strerror", None) or "not UTF-8 text") from None
    return parse(text, str(path))
