"""Running the dashboard in-process with Streamlit's AppTest, against a given database."""

from __future__ import annotations

import json

import streamlit as st
from streamlit.testing.v1 import AppTest

from access.permissions import Actor
from db.config import ROOT

LEADER = Actor("lena", "leadership")


def app(monkeypatch, db_url: str, actor: Actor | None = LEADER, **params: str) -> AppTest:
    """A fresh AppTest of dashboard.py reading `db_url`, with URL query parameters `params`,
    signed in as `actor` (None: nobody has signed in)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CITY_TZ", "Europe/Moscow")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    if actor is not None:
        at.session_state["actor"] = actor
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def city_map(at: AppTest) -> dict:
    """What the overview's map was sent to draw (`map_drawing.drawing`)."""
    drawn = [e for e in at.get("bidi_component") if e.proto.component_name == "citydesk_city_map"]
    assert len(drawn) == 1, len(drawn)
    return json.loads(drawn[0].proto.json)
