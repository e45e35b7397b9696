"""Feed health on the pages: each feed (the dispatch system's Open311 sync, VK, Telegram, any
other kind written to `feeds`) with its last successful sync, its lag and its last error; a
stale feed is said so, with the time of its last good data, on the overview, the department
page and the wall.

The builders (`table`, `stale_lines`, `wall_banner`) are data in, text out; `overview`,
`warnings` and `wall` place them on a page with one call each.
"""

from __future__ import annotations

import html
from datetime import datetime

import pandas as pd
import streamlit as st

from db.config import city_tz
from feeds.health import STALE_AFTER_INTERVALS, FeedHealth
from ui import data
from ui.actor import current_actor
from ui.i18n import current_language
from words.catalog import CATALOG
from words.formatting import clock, duration, instant
from words.language import translate

SEE_DETAILS = ("leadership", "dispatcher")


def _known(lang: str, key: str, fallback: str) -> str:
    """The catalog's text when it has the key; a kind or count of a new feed shows as named."""
    return translate(lang, key) if key in CATALOG else fallback


def kind_label(kind: str, lang: str) -> str:
    return _known(lang, f"feeds.kind.{kind}", kind)


def state(feed: FeedHealth) -> str:
    return "stale" if feed.stale else "failing" if feed.failing else "ok"


def table(feeds: list[FeedHealth], now: datetime, lang: str) -> pd.DataFrame:
    """One row per feed, with the columns named in the language."""
    tz = city_tz()

    def ago(at: datetime | None) -> str:
        if at is None:
            return translate(lang, "feeds.never")
        return translate(lang, "feeds.ago", when=instant(at, tz, lang),
                         ago=duration((now - at).total_seconds(), lang))

    rows = []
    for feed in feeds:
        lag = (now - feed.last_data_at).total_seconds() if feed.last_data_at else None
        error = (translate(lang, "feeds.error_at", when=instant(feed.last_error_at, tz, lang),
                           error=feed.last_error) if feed.failing and feed.last_error else "")
        counts = ", ".join(f"{n} {_known(lang, f'feeds.count.{k}', k)}"
                           for k, n in sorted(feed.counts.items()))
        rows.append({
            translate(lang, "feeds.col.feed"): feed.name,
            translate(lang, "feeds.col.kind"): kind_label(feed.kind, lang),
            translate(lang, "feeds.col.state"): translate(lang, f"feeds.state.{state(feed)}"),
            translate(lang, "feeds.col.last_success"): ago(feed.last_success_at),
            translate(lang, "feeds.col.lag"): duration(lag, lang),
            translate(lang, "feeds.col.last_error"): error,
            translate(lang, "feeds.col.counts"): counts,
        })
    return pd.DataFrame(rows)


def stale_lines(feeds: list[FeedHealth], lang: str) -> list[str]:
    """One sentence per stale feed, with when its data was last good."""
    tz = city_tz()
    lines = []
    for feed in (f for f in feeds if f.stale):
        name = f"{kind_label(feed.kind, lang)} «{feed.name}»"
        if f"feeds.stale.{feed.kind}" in CATALOG:  # a feed that brings no tickets (the notifier)
            lines.append(translate(lang, f"feeds.stale.{feed.kind}", when=instant(
                feed.last_success_at or feed.last_attempt_at, tz, lang)))
        elif feed.last_success_at is not None:
            lines.append(translate(lang, "feeds.stale", name=name,
                                   when=instant(feed.last_success_at, tz, lang)))
        else:
            lines.append(translate(lang, "feeds.stale_never", name=name,
                                   when=instant(feed.last_attempt_at, tz, lang)))
    return lines


def wall_banner(feeds: list[FeedHealth], lang: str) -> str:
    """The stale feeds in the wall's own large type; empty when none is stale."""
    items = []
    for feed in (f for f in feeds if f.stale):
        since = feed.last_success_at or feed.last_attempt_at
        items.append(translate(lang, "feeds.wall_stale", name=kind_label(feed.kind, lang),
                               time=clock(since, city_tz())[:5] if since else "—"))
    if not items:
        return ""
    return ('<div class="wall wall-banner" role="status" data-testid="feeds-stale">⚠ '
            + html.escape(" · ".join(items)) + "</div>")


def _feeds() -> tuple[list[FeedHealth], datetime] | None:
    """Every feed as of this interval; None when there is none, or when the database is away
    (the page's own outage banner says so)."""
    now = data.live_now()
    try:
        feeds = data.load_feeds(now)
    except data.OUTAGE_ERRORS:
        return None
    return (feeds, now) if feeds else None


def warnings() -> None:
    """A warning per stale feed, for everyone: the department page's part (its queue may be
    behind its source too)."""
    found = _feeds()
    if found is not None:
        _warn(found[0], current_language())


def _warn(feeds: list[FeedHealth], lang: str) -> None:
    for line in stale_lines(feeds, lang):
        st.warning(line, icon="📡")


def overview() -> None:
    """The overview's part: a warning per stale feed for everyone; the table of every feed for
    leadership and dispatchers."""
    found = _feeds()
    if found is None:
        return
    feeds, now = found
    lang = current_language()
    _warn(feeds, lang)
    if current_actor().role in SEE_DETAILS:
        with st.expander(translate(lang, "feeds.title"), icon=":material/sync:"):
            st.caption(translate(lang, "feeds.help", n=STALE_AFTER_INTERVALS))
            st.dataframe(table(feeds, now, lang), hide_index=True, width="stretch")


def wall(lang: str) -> None:
    """The meeting screen's part: a line when a feed is stale."""
    found = _feeds()
    markup = wall_banner(found[0], lang) if found else ""
    if markup:
        st.markdown(markup, unsafe_allow_html=True)
