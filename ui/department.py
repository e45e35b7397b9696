"""A department's counters, in two rows: above its queue, how urgent the work is now (against the
city's); below it, how the week went, with the work it received from other departments and
passed on to them, so handing overdue tickets off never hides them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from queries.counters import Counters
from queries.filters import Filters
from ui import widgets
from ui.attention import day_label
from ui.i18n import t
from words.formatting import duration, number, percent

NOW = ("open", "overdue", "at_risk", "received_today", "resolved_today")
# Streamlit leaves 6rem above a page's title; the head's queue needs that room on a 768-pixel
# screen, and the header bar above needs only 3.75rem. The queue's toolbar sticks under that
# bar while the queue is in view (on a phone in two short rows, without its note, so that it
# covers little of the queue); counter labels wrap rather than end in "…".
COMPACT = """<style>
[data-testid='stMainBlockContainer'] {padding-top: 3.75rem}
.st-key-queue_bar {position: sticky; top: 3.75rem; z-index: 5; background: #fff;
                   padding-bottom: 0.75rem}
@media (max-width: 699px) {  /* a phone: search on one line, the three actions on the next */
  .st-key-queue_bar {padding-bottom: 0.25rem}
  .st-key-queue_bar [data-testid='stHorizontalBlock'] {flex-wrap: wrap; row-gap: 0.5rem}
  .st-key-queue_bar [data-testid='stColumn'] {min-width: 0 !important; flex: 1 1 0 !important}
  .st-key-queue_bar [data-testid='stColumn']:first-child {flex: 1 1 100% !important}
  .st-key-queue_bar [data-testid='stColumn']:nth-child(2) {flex: 4 1 0 !important}
  /* the card and the CSV keep their icons (and their tooltips) and leave their words */
  .st-key-queue_bar [data-testid='stColumn']:nth-child(n+3) button
    [data-testid='stMarkdownContainer'] {display: none}
  .st-key-queue_bar [data-testid='stCaptionContainer'] {display: none}
  /* the five counters in two short rows, not five stacked cards: the queue on the first screen */
  .st-key-dept-counters [data-testid='stHorizontalBlock'] {flex-flow: row wrap; gap: 0.4rem}
  .st-key-dept-counters [data-testid='stColumn'] {min-width: 0 !important;
                                                  flex: 1 1 30% !important}
  .st-key-dept-counters [data-testid='stMetric'] {padding: 0.3rem 0.5rem}
  .st-key-dept-counters [data-testid='stMetricValue'] {font-size: 1.4rem}
  .st-key-dept-counters [data-testid='stMetricLabel'] p {font-size: 0.8rem;
    overflow-wrap: normal; word-break: keep-all}
  .st-key-dept-counters [data-testid='stTooltipIcon'] {display: none}
  [data-testid='stMainBlockContainer'] h1 {font-size: 1.6rem; padding-bottom: 0.25rem}
  [data-testid='stMainBlockContainer'] h3 {font-size: 1.2rem}
  .st-key-dept-counters [data-testid='stCaptionContainer'] {display: none}
}
[data-testid='stMetricLabel'] p {white-space: normal}
/* the undo names its target in full ("…в службу «Служба ливневой канализации»"): it may wrap */
.st-key-undo button [data-testid='stMarkdownContainer'], .st-key-undo button p {
  white-space: normal; text-overflow: clip}
</style>"""


def compact() -> None:
    """Give the page's top margin to the queue."""
    st.html(COMPACT)


def headline(mine: Counters, city: Counters | None, f: Filters, lang: str) -> None:
    """Open, overdue, at risk, received and resolved today (a past view names its day), each
    with its share of the city's."""
    notes = widgets.city_comparison(mine, city) if city is not None else {}
    hours = number(f.at_risk.total_seconds() / 3600, lang, 0)
    for column, key in zip(st.container(key="dept-counters").columns(len(NOW)), NOW,
                           strict=True):
        with column:
            label = (day_label(f, f"counter.{key}", f"counter.{key.replace('today', 'on')}")
                     if key.endswith("_today") else t(f"counter.{key}"))
            st.metric(label, number(getattr(mine, key), lang), border=True,
                      help=t(f"counter.help.{key}", hours=hours))
            if key in notes:
                st.caption(notes[key])


def week_row(mine: Counters, city: Counters | None, load: pd.Series | None, lang: str) -> None:
    """On time and the medians over 7 days (the city's beside them), and the tickets received
    from and passed on to other departments in those 7 days."""
    notes = widgets.city_comparison(mine, city) if city is not None else {}
    delta = None
    if mine.on_time_pct_7d is not None and mine.on_time_pct_prev_7d is not None:
        change = mine.on_time_pct_7d - mine.on_time_pct_prev_7d
        delta = t("counter.vs_prev", delta=("+" if change >= 0 else "") + number(change, lang, 1))
    cells = [
        ("on_time_pct_7d", t("counter.on_time"), percent(mine.on_time_pct_7d, lang),
         t("counter.help.on_time"), delta),
        ("median_accept_s_7d", t("counter.median_accept"),
         duration(mine.median_accept_s_7d, lang), t("counter.help.median"), None),
        ("median_resolve_s_7d", t("counter.median_resolve"),
         duration(mine.median_resolve_s_7d, lang), t("counter.help.median"), None),
        ("received_from_others_7d", t("dept.received_from_others"),
         "—" if load is None else number(load["received_from_others_7d"], lang),
         t("dept.received_from_others_help"), None),
        ("passed_on_7d", t("dept.passed_on"),
         "—" if load is None else number(load["passed_on_7d"], lang),
         t("dept.passed_on_help"), None),
    ]
    for column, (key, label, value, help_, change) in zip(st.columns(len(cells)), cells,
                                                          strict=True):
        with column:
            st.metric(label, value, delta=change, help=help_, border=True)
            if key in notes:
                st.caption(notes[key])
