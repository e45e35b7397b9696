"""Incidents and spikes on the overview and the meeting screen (AppTest, both databases): what is
shown equals the queries, in both languages, each incident opens to its tickets, the maps ring
them, and a quiet city says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from queries.filters import Filters
from queries.incidents import incidents
from queries.rules import load_rules
from queries.spikes import spikes
from tests.cities import seed
from tests.factory import add_ticket
from tests.pages import app, city_map
from ui import data
from ui.incidents import counts_note, incident_title, spike_text
from ui.text import markdown_text as inert

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
AS_OF = "2026-11-26T12:30:00+03:00"


@pytest.fixture
def quiet(engine, monkeypatch):
    seed(engine, 3000, 5, NOW, progress=False, days=20)
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW)
    return engine


@pytest.fixture
def burst(quiet):
    """Thirty no-water reports from around one point in Gagarinsky in the last hour."""
    rng = np.random.default_rng(1)
    for k in range(30):
        created = NOW - timedelta(minutes=58) + timedelta(minutes=2 * k)
        add_ticket(quiet, created, department="WATER", category="no_water",
                   district="gagarinsky", lat=44.580 + rng.normal(0, 0.0012),
                   lon=33.463 + rng.normal(0, 0.0017), external_id=f"W-{k:03d}")
    return quiet


def found(engine):
    f = Filters(as_of=NOW, tz="Europe/Moscow")
    with engine.connect() as conn:
        return incidents(conn, f), spikes(conn, f)


def deck_layers(at) -> list[str]:
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return [layer["id"] for layer in deck["layers"]]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_overview_shows_incidents_first_each_opening_its_tickets(burst, db_url, monkeypatch,
                                                                 lang):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    expected, jumps = found(burst)
    assert expected and jumps
    alarms = [m.value for m in at.markdown if m.value.startswith("**◉ ")]
    assert alarms == [f"**◉ {inert(incident_title(i, lang))}**" for i in expected]
    assert alarms[0].startswith("**◉ No cold water · Gagarinsky · 30 reports" if lang == "en"
                                else "**◉ Нет холодной воды · Гагаринский · обращений: 30")
    if lang == "en":  # (AppTest cannot rerun a page whose sidebar it saw in Russian)
        at.button(key="incident_list_0").click().run()  # the alarm's button lists its tickets
        assert not at.exception
        assert at.query_params["drill_incident"] in (expected[0].tickets[0],
                                                     [expected[0].tickets[0]])
        table = at.dataframe[0].value
        table = getattr(table, "data", table)  # the overdue ones are tinted: a Styler
        assert sorted(table.iloc[:, 0]) == sorted(expected[0].tickets)
        assert list(table.columns[:5]) == ["Ticket", "Address", "Status", "Department",
                                           "Time left"]
    hours = load_rules().spikes.hours
    spikes = [w.value for w in at.warning if w.value.startswith(("Spike", "Всплеск"))]
    assert spikes == [inert(spike_text(s, lang, hours)) for s in jumps]
    rings = city_map(at)["rings"]
    assert [r["n"] for r in rings] == [len(i.tickets) for i in expected]
    # The same burst, two counts: the page says what each counts, right under them.
    assert counts_note(lang) in [c.proto.help for c in at.caption]
    assert ("open tickets of one category" if lang == "en" else "открытые обращения") \
        in counts_note(lang)


def test_the_meeting_screen_shows_them_above_the_city(burst, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="1")
    at.run()
    assert not at.exception
    expected, jumps = found(burst)
    markup = "\n".join(m.value for m in at.markdown)
    assert f'data-incident="{expected[0].tickets[0]}"' in markup
    text = markup.replace("</span><span>", " ")  # a row's lines, each drawn whole
    assert "◉ " + incident_title(expected[0], "en") in text
    assert "▲ " + spike_text(jumps[0], "en", load_rules().spikes.hours) in text
    assert "incidents" in deck_layers(at)


def test_a_quiet_city_says_so_and_draws_no_rings(quiet, db_url, monkeypatch):
    assert found(quiet) == ([], [])
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    assert not at.exception
    assert any(c.value.startswith("No incidents or spikes now") for c in at.caption)
    assert not at.expander
    assert city_map(at)["rings"] == []


def test_names_from_imported_data_stay_inert_in_markdown():
    assert inert("Pot*hole* [x](javascript:y) <b>$1_000</b>") == \
        r"Pot\*hole\* \[x\](javascript:y) \<b\>\$1\_000\</b\>"
