"""What the sign-in gate assumes of Streamlit beyond its public API (ui/auth.py's `_name`): that a
default page's given url_path is kept in `_url_path`, and that a page's script hash, the key a
rerun resolves its page by, follows that name alone. Streamlit is pinned in requirements.txt;
when an upgrade breaks either, this fails before the sign-in does."""

from streamlit.testing.v1 import AppTest


def pages_script() -> None:
    """Pages are only built inside a script run: build some and note what the gate relies on."""
    import streamlit as st

    from ui.auth import _name

    def overview() -> None:
        """A page body."""

    def sign_in() -> None:
        """The gate's stand-in body."""

    real = st.Page(overview, url_path="overview", default=True)
    stand_in = st.Page(sign_in, title="Sign in", url_path=_name(real), default=True)
    other = st.Page(overview, url_path="department")
    st.session_state["seen"] = {
        "public": real.url_path, "name": _name(real), "other": _name(other),
        "same_hash": stand_in._script_hash == real._script_hash,
        "other_hash": other._script_hash == real._script_hash,
    }


def test_the_gate_finds_the_default_page_name_and_its_stand_in_resolves_to_it():
    at = AppTest.from_function(pages_script).run()
    assert not at.exception
    assert at.session_state["seen"] == {
        "public": "",  # the public property hides the default page's name ...
        "name": "overview",  # ... and the gate still finds it
        "other": "department",
        "same_hash": True,  # a stand-in of that name is the same page to a rerun
        "other_hash": False,
    }
