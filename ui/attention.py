"""The overview's counters, as leadership reads them: overdue and at risk first, each coloured
against the city's target and with its change since the same time yesterday (the on-time share
and the medians against the previous 7 days); the counts open their list with one click."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import streamlit as st
from babel.dates import format_date

from db.config import city_tz, on_time_target, overdue_target
from queries.changes import Baseline
from queries.counters import Counters
from queries.filters import Filters
from ui.i18n import current_language, t
from words.formatting import duration, number, percent

# A tile's state colours its left edge and its background, readable in both themes.
CSS = """<style>
[class*="st-key-kpi-"] { gap: 0.2rem; padding: 0.6rem 0.8rem 0.3rem; min-height: 100%; }
[data-testid="stColumn"]:has(> div > [class*="st-key-kpi-"]) > div { height: 100%; }
[class*="st-key-kpi-bad"] { border-left: 6px solid #c62828; background: rgba(198, 40, 40, 0.09); }
[class*="st-key-kpi-warn"] { border-left: 6px solid #e65100; background: rgba(230, 81, 0, 0.09); }
[class*="st-key-kpi-good"] { border-left: 6px solid #2e7d32; background: rgba(46, 125, 50, 0.08); }
[class*="st-key-kpi-"] [data-testid="stMetricValue"] { font-size: 2rem; line-height: 1.2; }
[class*="st-key-kpi-"] [data-testid="stCaptionContainer"] { line-height: 1.3; }
</style>"""


def day_label(f: Filters, today: str, other: str) -> str:
    """"… today" when the view's day is the city's today, else "… on 20 Nov": a past view
    names its day."""
    lang = current_language()
    day = f.as_of.astimezone(city_tz()).date()
    if day == datetime.now(city_tz()).date():
        return t(today)
    return t(other, day=format_date(day, "d MMM", locale=lang))


def _signed(value: float, lang: str, digits: int = 0) -> str:
    """+3, -3 or ±0: the sign Streamlit reads to point the delta's arrow."""
    text = number(abs(value), lang, digits)
    return ("+" if value > 0 else "-" if value < 0 else "±") + text


def _change(now: int, then: int, lang: str) -> tuple[str, str]:
    """The delta text and its colour mode (more is worse for everything shown this way)."""
    change = now - then
    return t("kpi.vs_yesterday", delta=_signed(change, lang)), "inverse" if change else "off"


def _tile(key: str, state: str, label: str, value: str, help_: str,
          delta: str | None = None, delta_color: str = "normal", note: str | None = None,
          on_list: Callable[[str], None] | None = None) -> None:
    """One counter in a bordered tile coloured by `state`, with its list button and note."""
    with st.container(key=f"kpi-{state}-{key}", border=True):
        st.metric(label, value, delta=delta, delta_color=delta_color,
                  help=help_ + ("\n\n" + t("kpi.help_changes") if delta else ""),
                  delta_arrow="off" if delta and delta.startswith("±") else "auto")
        if note:
            st.caption(note)
        if on_list is not None:
            st.button(t("counter.show"), key=f"drill_{key}", type="tertiary",
                      icon=":material/list:", on_click=on_list, args=(key,))


def counters(c: Counters, base: Baseline | None, f: Filters,
             on_list: Callable[[str], None]) -> None:
    """Two rows of four: what needs attention (overdue, at risk, on time, open), then the day's
    flow and the medians."""
    lang = current_language()
    st.html(CSS)
    hours = number(f.at_risk.total_seconds() / 3600, lang, 0)

    def vs(key: str) -> tuple[str | None, str]:
        return (None, "normal") if base is None else _change(getattr(c, key),
                                                            getattr(base, key), lang)

    share = 100.0 * c.overdue / c.open if c.open else 0.0
    limit = overdue_target()
    on_time = c.on_time_pct_7d
    first = st.columns(4)
    with first[0]:
        delta, color = vs("overdue")
        _tile("overdue", "bad" if share > limit else "good", t("counter.overdue"),
              number(c.overdue, lang), t("counter.help.overdue"), delta, color,
              t("kpi.target_overdue", share=percent(share, lang), target=percent(limit, lang)),
              on_list)
    with first[1]:
        delta, color = vs("at_risk")
        _tile("at_risk", "warn" if c.at_risk else "good", t("counter.at_risk"),
              number(c.at_risk, lang), t("counter.help.at_risk", hours=hours), delta, color,
              None, on_list)
    with first[2]:
        delta = None
        if on_time is not None and c.on_time_pct_prev_7d is not None:
            delta = t("kpi.vs_prev_week",
                      delta=_signed(on_time - c.on_time_pct_prev_7d, lang, 1) + " "
                      + ("п. п." if lang == "ru" else "pp"))
        target = on_time_target()
        state = "plain" if on_time is None else "good" if on_time >= target else "bad"
        _tile("on_time", state, t("counter.on_time"), percent(on_time, lang),
              t("counter.help.on_time"), delta, "normal",
              t("kpi.target_on_time", target=percent(target, lang)))
    with first[3]:
        delta, color = vs("open")
        _tile("open", "plain", t("counter.open"), number(c.open, lang), t("counter.help.open"),
              delta, color, None, on_list)
    second = st.columns(4)
    with second[0]:
        delta, _ = vs("received_today")
        _tile("received_today", "plain",
              day_label(f, "counter.received_today", "counter.received_on"),
              number(c.received_today, lang), t("counter.help.received_today"), delta, "off",
              None, on_list)
    with second[1]:
        delta, color = vs("resolved_today")
        _tile("resolved_today", "plain",
              day_label(f, "counter.resolved_today", "counter.resolved_on"),
              number(c.resolved_today, lang), t("counter.help.resolved_today"), delta,
              "normal" if color != "off" else "off", None, on_list)
    for column, key, label in ((second[2], "median_accept_s_7d", "counter.median_accept"),
                               (second[3], "median_resolve_s_7d", "counter.median_resolve")):
        with column:
            value = getattr(c, key)
            before = None if base is None else getattr(base, key)
            delta, color = None, "off"
            if value is not None and before is not None:
                delta = t("kpi.vs_prev_week", delta=("+" if value >= before else "-")
                          + duration(abs(value - before), lang))
                color = "inverse" if value != before else "off"
            _tile(key, "plain", t(label), duration(value, lang), t("counter.help.median"),
                  delta, color)
