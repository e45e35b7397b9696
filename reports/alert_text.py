"""The alerts' words: short plain text in the recipient's language, with links into the desk.

Each function returns a finished line (or message); the notifier stores it with the message's
row, so a retry sends the very text that was first meant, and the Alerts page shows it.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from words.formatting import instant, number, percent, time_left
from words.language import translate

DIGEST_LINES = 25  # a digest lists this many tickets, then links to the rest


def link(base_url: str, page: str, **params: str) -> str:
    """An address of the desk: `base_url/page?params` (empty parameters left out)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{base_url}/{page}" + (f"?{query}" if query else "")


def named(row, lang: str, field: str) -> str:
    """A name in the language (the English one when the Russian is missing)."""
    ru = row.get(f"{field}_ru") if hasattr(row, "get") else None
    return (ru if lang == "ru" and isinstance(ru, str) and ru else row.get(field)) or ""


def ticket_line(kind: str, row: dict, now: datetime, lang: str, tz: ZoneInfo,
                base_url: str) -> str:
    """One ticket of an at-risk or overdue digest: id, category, due, time left, its card."""
    return translate(lang, f"alert.{kind}.line", id=row["id"],
                     category=named(row, lang, "category_name"),
                     due=instant(row["due"], tz, lang),
                     left=time_left((row["due"] - now).total_seconds(), lang),
                     link=link(base_url, "ticket", id=row["id"]))


def digest(kind: str, lines: list[str], lang: str, scope: str, list_link: str) -> tuple[str, str]:
    """(title, text) of one digest: a head, at most DIGEST_LINES lines, a link to the rest."""
    n = number(len(lines), lang)
    head = translate(lang, f"alert.{kind}.head", n=n, scope=scope)
    shown = lines[:DIGEST_LINES]
    if len(lines) > len(shown):
        shown.append(translate(lang, "alert.more", n=number(len(lines) - len(shown), lang),
                               link=list_link))
    return translate(lang, f"alert.{kind}.title", n=n, scope=scope), "\n".join([head, *shown])


def title(kind: str, lang: str, **values: str) -> str:
    """A single message's title (an e-mail's subject after the desk's name)."""
    return translate(lang, f"alert.{kind}.title", **values)


def percent_or_dash(value: float | None, lang: str) -> str:
    return "—" if value is None else percent(value, lang)
