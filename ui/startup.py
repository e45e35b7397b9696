"""The dashboard's first check, before any page: settings that cannot be read (db/config.py's
table) stop it with one line each, never a traceback half-way through a page."""

from __future__ import annotations

import streamlit as st

from db.config import SettingError, check_settings
from ui.i18n import t
from words.language import translate


def refuse_bad_settings() -> None:
    """Stop the run, saying which settings are wrong and why, when any is."""
    problems = check_settings()
    if not problems:
        return
    try:
        intro = t("settings.refused")
    except SettingError:  # CITYDESK_LANG itself is wrong, and the session chose no language
        intro = translate("en", "settings.refused")
    st.error(intro, icon=":material/warning:")
    st.code("\n".join(problems), language=None, wrap_lines=True)
    st.stop()
