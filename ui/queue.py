"""A department's queue with its actions: what its head works through all day.

It is drawn in a fragment of its own, so ticking a row reruns the queue and its toolbar only
(not the counters, the map or the chart), and the toolbar sits right above the table, where the
user is looking when they tick."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from access.permissions import Actor
from db.config import city_tz
from queries.filters import Filters
from ui import action_dialogs, data, export, widgets
from ui.actor import may_act
from ui.i18n import t
from ui.tables import mark_overdue, time_left_column
from words.formatting import number

HEIGHT = 386  # ten rows and the header: with the toolbar, the queue fits a 768-pixel screen


def queue_frame(frame: pd.DataFrame, lang: str, as_of: datetime | None = None) -> pd.DataFrame:
    """The queue as its head reads it: time left first ("overdue by 4 h 10 min", "54 working
    min left · clock stopped until Mon 7 Dec 08:00") and the due beside it, then what and where
    (the CSV has the same columns first)."""
    return export.shown_columns(frame, lang, city_tz(), export.QUEUE_COLUMNS, as_of)


def draw(f: Filters, actor: Actor, departments: pd.DataFrame, lang: str,
         open_total: int | None) -> None:
    """The toolbar (search, reassign, card, export; undo under it) over the queue, most urgent
    first. The toolbar sticks to the top of the window while the queue is in view."""
    st.subheader(t("dept.queue"), anchor=False)
    toolbar = st.container(key="queue_bar")
    bar = toolbar.columns([3, 3, 2, 1.4], vertical_alignment="bottom")
    search = bar[0].text_input(t("table.search"), key="queue_search", label_visibility="collapsed",
                               placeholder=t("table.search"))
    queue = data.guarded(data.load_queue, f, search)
    chosen = queue.iloc[0:0] if queue is not None else None
    note, undo = toolbar.columns([3, 2], vertical_alignment="center")
    action_dialogs.show_inline_error()
    if queue is not None and queue.empty:
        st.success(t("dept.queue_empty"), icon=":material/task_alt:")
    elif queue is not None:
        ids = [str(i) for i in queue["external_id"]]
        shown = mark_overdue(queue_frame(queue, lang, f.as_of), widgets.overdue_flags(queue),
                             widgets.at_risk_flags(queue, f))
        help_ = t("dept.queue_help")
        if open_total is not None and len(queue) < open_total and not search:
            help_ = t("dept.queue_more", n=number(len(queue), lang),
                      total=number(open_total, lang)) + " " + help_
        note.caption(help_)
        widths = time_left_column(t("col.time_left"), lang)
        picked = widgets.steady_selection(shown, ids, action_dialogs.QUEUE_KEY, multi=True,
                                          height=HEIGHT, column_config=widths)
        chosen = queue[queue["external_id"].astype(str).isin(picked)]
    _toolbar(bar, chosen, actor, f, search, lang)
    if may_act(actor):
        action_dialogs.undo_button(undo, actor, departments)


def _toolbar(bar, chosen: pd.DataFrame | None, actor: Actor, f: Filters, search: str,
             lang: str) -> None:
    nothing = chosen is None or chosen.empty
    if may_act(actor):
        if bar[1].button(t("queue.reassign", n=0 if nothing else len(chosen)), type="primary",
                         disabled=nothing, icon=":material/swap_horiz:", width="stretch"):
            action_dialogs.open_reassign(chosen)
    else:
        bar[1].caption(t("action.no_permission", role=t(f"role.{actor.role}")))
    one = chosen is not None and len(chosen) == 1
    if bar[2].button(t("dept.card"), disabled=not one, icon=":material/receipt_long:",
                     width="stretch", help=t("dept.card_help")):
        action_dialogs.open_card(str(chosen.iloc[0]["external_id"]))
    bar[3].download_button(
        "CSV", data=export.queue_csv(data.read_engine(), f, search, lang, city_tz()),
        file_name=export.file_name("queue-" + (f.departments[0] if f.departments else "all"),
                                   f.as_of, city_tz()), help=t("table.export"),
        mime="text/csv", icon=":material/download:", key="queue_export", on_click="ignore",
        width="stretch")
