"""Citydesk: the entry point. Lets in only who has signed in, decides which pages they get, and
runs the chosen one."""

import logging
from urllib.parse import urlparse

import streamlit as st

from ui import favicon, startup, style, url
from ui.i18n import follow_switch, t
from words.language import LANGUAGES

st.set_page_config(page_title="Citydesk", page_icon=favicon.icon(), layout="wide")
style.apply()

if "lang" not in st.session_state and url.get("lang") in LANGUAGES:
    st.session_state["lang"] = url.get("lang")
startup.refuse_bad_settings()  # a setting that cannot be read: one line each, no page
follow_switch()
from ui import auth, first_paint  # noqa: E402 (their modules read settings as they load)

first_paint.new_run()

# `?view=wall` on any link opens the meeting screen, with no menu.
wall_view = url.get("view") == "wall"
wall = st.Page("screens/wall.py", title=t("nav.wall"), icon=":material/tv:", url_path="wall",
               default=wall_view)


def main_pages(landing: str) -> list:
    """The pages everyone may get, `landing` the one the bare address opens."""
    return [
        st.Page("screens/overview.py", title=t("nav.overview"), icon=":material/location_city:",
                url_path="overview", default=landing == "overview"),
        st.Page("screens/department.py", title=t("nav.department"), icon=":material/apartment:",
                url_path="department", default=landing == "department"),
        st.Page("screens/ticket.py", title=t("nav.ticket"), icon=":material/receipt_long:",
                url_path="ticket"),
        wall,
    ]


pages = main_pages("wall" if wall_view else "overview")
audit = st.Page("screens/audit.py", title=t("nav.audit"), icon=":material/history:",
                url_path="audit")
week = st.Page("screens/week.py", title=t("nav.week"), icon=":material/date_range:",
               url_path="week")
alerts = st.Page("screens/alerts.py", title=t("nav.alerts"), icon=":material/campaign:",
                 url_path="alerts")
# Whether the user opened the bare address (the sign-in form then stands in for the overview,
# and the run after it goes there): a head is taken to their queue instead. Kept through the
# sign-in (ui/auth.py); asked again after the next sign-in.
LANDED = "_landed"
if LANDED not in st.session_state and auth.BARE not in st.session_state:
    st.session_state[auth.BARE] = urlparse(st.context.url or "").path in ("", "/")
# nobody signed in: the way in is drawn, the run stops here
actor = auth.gate([*pages, week, audit, alerts])
if actor.role == "head":
    wall_view = False  # the meeting screen is not among a head's pages
pages = auth.pages_for(actor, pages, audit, week)
if actor.role == "leadership":  # what the notifier sent is leadership's, as the audit log is
    pages.append(alerts)
if not pages:  # a kiosk link, and no meeting screen in this installation
    st.info(t("auth.no_wall"), icon=":material/tv:")
    st.stop()
page = st.navigation(pages, position="hidden" if wall_view else "sidebar")
if LANDED not in st.session_state:  # the first page after signing in
    st.session_state[LANDED] = True
    if actor.role == "head" and st.session_state.pop(auth.BARE, False) and \
            page.url_path != "department":  # a head who opened the bare address: their queue
        st.switch_page(next(p for p in pages if p.url_path == "department"),
                       query_params=url.everything())
if wall_view and page is not wall:
    st.switch_page(wall, query_params=url.everything())
auth.sidebar(actor)
try:
    page.run()
except Exception as error:  # the last line of defence: never show users a traceback
    if type(error).__module__.startswith("streamlit"):
        raise  # Streamlit's own control flow (rerun, stop, page switch)
    logging.getLogger("citydesk").exception("page failed")
    st.error(t("error.unexpected", kind=type(error).__name__), icon=":material/warning:")
