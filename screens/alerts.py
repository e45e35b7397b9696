"""Alerts, for leadership: what the notifier sent to whom and when, delivered or not;
filterable, exportable."""

from datetime import datetime

import streamlit as st

from db.config import city_tz
from db.schema import ALERT_KINDS, ALERT_STATES
from queries.alerts import AlertFilters
from ui import data, export, widgets
from ui.actor import leadership_only
from ui.i18n import current_language, language_picker, t
from words.formatting import number

PAGE_SIZE = 50


leadership_only("alerts.forbidden")

lang = current_language()
tz = city_tz()
data.begin_run()
banner = st.empty()
language_picker()

st.title(t("nav.alerts"))
st.caption(t("alerts.help"))
top = st.columns([3, 2, 2, 2, 2])
kinds = top[0].multiselect(t("alerts.kinds"), ALERT_KINDS, default=[],
                           format_func=lambda k: t(f"alerts.kind.{k}"), key="alerts_kinds")
recipients = data.guarded(data.load_alert_recipients) or []
who = top[1].selectbox(t("alerts.recipient"), recipients, index=None,
                       placeholder=t("alerts.anyone"), key="alerts_recipient")
state = top[2].selectbox(t("alerts.state"), ALERT_STATES, index=None,
                         format_func=lambda s: t(f"alerts.state.{s}"),
                         placeholder=t("alerts.any_state"), key="alerts_state")
since, until = widgets.day_range(widgets.day_field(top[3], t("alerts.since"), "alerts_since"),
                                 widgets.day_field(top[4], t("alerts.until"), "alerts_until"), tz)
f = AlertFilters(
    kinds=tuple(kinds), recipient=who, state=state, since=since, until=until)
result = widgets.paged(data.load_alert_page, f, "alerts_page", PAGE_SIZE)
if result is not None:
    frame, total = result
    if frame.empty:
        st.info(t("alerts.empty"))
    else:
        st.caption(t("alerts.count", shown=number(len(frame), lang), total=number(total, lang)))
        st.dataframe(export.alert_table(frame, lang, tz), hide_index=True, width="stretch")
        st.download_button(t("table.export"), mime="text/csv", on_click="ignore",
                           data=export.alerts_csv(data.read_engine(), f, lang, tz),
                           file_name=export.file_name("alerts", datetime.now(tz), tz),
                           icon=":material/download:", key="alerts_export")
widgets.outage_banner(banner)
