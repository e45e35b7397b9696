"""The week's review, for leadership and dispatchers at the weekly meeting: the ISO week that
ended (or `?week=YYYY-Www`), the city and each department beside the week before and the usual,
what rose most, the oldest tickets still open, and the meeting pack to bring."""

import streamlit as st

from ui import data, live, week, widgets
from ui.actor import current_actor
from ui.i18n import current_language, language_picker, t
from words.formatting import week_dates

if current_actor().role not in ("leadership", "dispatcher"):
    st.error(t("week.forbidden"), icon=":material/block:")
    st.stop()

live.reference_or_wait()
banner = st.empty()
language_picker()
lang = current_language()
chosen = week.chosen_week()
st.title(t("week.title", week=week_dates(chosen, lang)))
st.caption(week.period(chosen, lang))
if chosen.end > data.live_now():
    st.info(t("week.future", week=week_dates(chosen, lang)), icon=":material/pending:")
review = data.guarded(data.load_week_review, chosen.label, chosen.tz)
if review is None:
    widgets.outage_banner(banner)
    st.stop()
week.pack_button(chosen, lang)
week.headline(review, lang)
week.rises(review, lang)
week.departments(review, lang)
week.oldest(review, lang)
widgets.outage_banner(banner)
