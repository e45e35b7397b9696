"""Every screen asks for its signed-in actor at its top: a screen file run alone (without
dashboard.py's gate, as Streamlit would if it found it in a `pages/` folder) shows the sign-in
notice and no figure. And no `pages/` folder sits beside dashboard.py to let that happen."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.config import ROOT
from db.schema import tickets
from tests.cities import seed
from words.catalog import CATALOG

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SCREENS = sorted(path.name for path in (ROOT / "screens").glob("*.py"))


def test_there_are_screens():
    assert {"overview.py", "department.py", "ticket.py", "wall.py", "week.py",
            "audit.py"} <= set(SCREENS)


def test_no_pages_folder_beside_the_entry_script():
    assert not (ROOT / "pages").exists()


def test_each_screen_run_alone_shows_no_data(engine, db_url, monkeypatch):
    seed(engine, 300, 5, NOW, progress=False, days=10)
    with engine.connect() as conn:
        ticket = conn.execute(select(tickets.c.external_id).limit(1)).scalar_one()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CITY_TZ", "Europe/Moscow")
    # the links a signed-in user would follow, so that an unguarded screen would draw data
    params = {"as_of": NOW.isoformat(), "dept": "ROADS", "id": ticket, "panel": "1"}
    for screen in SCREENS:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "screens" / screen), default_timeout=60)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, screen
        assert [w.value for w in at.warning] == [CATALOG["auth.required"]["en"]], screen
        shown = {kind: len(at.get(kind)) for kind in (
            "metric", "dataframe", "table", "markdown", "title", "caption", "text_input",
            "plotly_chart", "deck_gl_json_chart", "bidi_component", "error", "info")}
        assert set(shown.values()) == {0}, (screen, shown)
