"""Citydesk: the entry point. Decides which pages exist and runs the chosen one."""

import logging

import streamlit as st

from ui.i18n import LANGUAGES, t

st.set_page_config(page_title="Citydesk", page_icon="🏙️", layout="wide")

if "lang" not in st.session_state and st.query_params.get("lang") in LANGUAGES:
    st.session_state["lang"] = st.query_params["lang"]

pages = [
    st.Page("screens/overview.py", title=t("nav.overview"), icon=":material/location_city:",
            url_path="overview", default=True),
    st.Page("screens/department.py", title=t("nav.department"), icon=":material/apartment:",
            url_path="department"),
    st.Page("screens/ticket.py", title=t("nav.ticket"), icon=":material/receipt_long:",
            url_path="ticket"),
]
page = st.navigation(pages)
try:
    page.run()
except Exception as error:  # the last line of defence: never show users a traceback
    if type(error).__module__.startswith("streamlit"):
        raise  # Streamlit's own control flow (rerun, stop, page switch)
    logging.getLogger("citydesk").exception("page failed")
    st.error(t("error.unexpected", kind=type(error).__name__), icon="⚠️")
