"""Looking up the catalog in the language the user chose."""

from __future__ import annotations

import streamlit as st

from db.config import language
from ui.text import markdown_text
from words.language import LANGUAGES, name_in, translate


def current_language() -> str:
    """The session's language: chosen in the interface, else `CITYDESK_LANG`."""
    lang = st.session_state.get("lang") or language()
    return lang if lang in LANGUAGES else "en"


# Widgets whose options are shown in the interface language. The browser keeps a chosen option
# as the words it showed ("30 s"); after a switch the other language no longer knows them and
# Streamlit hands the page the bare words instead of the option. Set anew at a switch, they are
# written in the new language at once, with no reload.
TRANSLATED_CHOICES = ("f_dept", "f_district", "f_category", "f_channel", "f_status", "f_period",
                      "live_every", "tickets_subset", "tickets_sort", "dept_page", "audit_kinds",
                      "audit_department", "week_drill_figure", "alerts_kinds", "alerts_state")


def language_picker() -> None:
    """The sidebar's language switch, the same on every page that has a sidebar."""
    st.sidebar.selectbox(t("lang.label"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang")


def follow_switch() -> None:
    """After the language changed, write the translated widgets' choices anew (see above)."""
    lang = current_language()
    if st.session_state.get("_lang_drawn", lang) != lang:
        for key in TRANSLATED_CHOICES:
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
    st.session_state["_lang_drawn"] = lang


def t(key: str, **values) -> str:
    """`translate` in the session's language, for Streamlit's elements, which read Markdown: the
    text filled in (ids, names, what a URL said) is escaped, so it shows as it was written."""
    return translate(current_language(), key, **{
        k: _Escaped(markdown_text(v)) if isinstance(v, str) else v for k, v in values.items()})


class _Escaped(str):
    """Escaped text whose `{value!r}` in a template quotes it without undoing the escapes."""

    def __repr__(self) -> str:
        return f"'{self}'"


def name_of(row, lang: str | None = None, field: str = "name") -> str:
    """A department's, category's or district's name in the language (the session's unless
    given), English as fallback."""
    return name_in(row, lang or current_language(), field)


def russian_key(text: str) -> tuple:
    """A sort key for Russian names that needs no system locale: letters in the Russian
    alphabet's order (ё right after е), case ignored, Latin letters and digits before them."""
    return tuple(ord("е") + 0.5 if c == "ё" else ord(c) for c in text.casefold())


def date_format(lang: str | None = None) -> str:
    """A date input's format in the language (the session's unless given): DD.MM.YYYY in
    Russian, YYYY-MM-DD in English."""
    return "DD.MM.YYYY" if (lang or current_language()) == "ru" else "YYYY-MM-DD"
