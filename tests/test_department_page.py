"""The department page through AppTest: its figures, its queue by urgency, who sees actions."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from babel.dates import format_date
from sqlalchemy import select

from access.permissions import Actor
from db.schema import departments
from desk.actions import reassign
from devtools import oracle
from tests.cities import seed
from tests.factory import add_ticket, reference
from tests.pages import app, city_map, metrics
from ui import lazy
from words.formatting import duration, number, percent

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
AS_OF = NOW.isoformat()


@pytest.fixture
def city(engine):
    seed(engine, 4000, 5, NOW, progress=False, days=40)
    return engine


def _department(monkeypatch, db_url, scrolled: bool = False, **params):
    """The department page; `scrolled`: as after the user reached its map and trend."""
    at = app(monkeypatch, db_url, **params)
    if scrolled:
        at.session_state[lazy.flag("department-map")] = True
    at.switch_page("screens/department.py")
    return at


def test_counters_and_city_comparison_equal_the_raw_rows(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="ROADS", as_of=AS_OF)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Road Management"
    frame = oracle.raw(city)
    mine = oracle.counters(frame[frame["department_code"] == "ROADS"], NOW, "Europe/Moscow")
    whole = oracle.counters(frame, NOW, "Europe/Moscow")
    assert mine["open"] and mine["received_today"] and whole["overdue"]  # the test has teeth
    shown = metrics(at)
    day = format_date(NOW.astimezone(ZoneInfo("Europe/Moscow")).date(), "d MMM", locale="en")
    counts = {"Open": "open", "Overdue": "overdue", "At risk": "at_risk",  # a past view: its day
              f"Received on {day}": "received_today", f"Resolved on {day}": "resolved_today"}
    for label, key in counts.items():
        assert shown[label] == number(mine[key], "en"), label
    assert shown["On time, 7 days"] == percent(mine["on_time_pct_7d"], "en")
    assert shown["Median time to accept"] == duration(mine["median_accept_s_7d"], "en")
    assert shown["Median time to resolve"] == duration(mine["median_resolve_s_7d"], "en")

    captions = [c.value for c in at.caption]
    for key in counts.values():
        share = percent(100.0 * mine[key] / whole[key], "en") if whole[key] else "—"
        assert f"{share} of the city's" in captions, key
    for key, show in (("on_time_pct_7d", percent), ("median_accept_s_7d", duration),
                      ("median_resolve_s_7d", duration)):
        assert f"City: {show(whole[key], 'en')}" in captions, key


def test_a_department_with_no_tickets_shows_zeros_and_dashes(city, db_url, monkeypatch):
    frame = oracle.raw(city)
    with city.connect() as conn:
        codes = set(conn.execute(select(departments.c.code)).scalars())
    idle = sorted(codes - set(frame["department_code"]))
    assert idle, "the demo city has a department without tickets"
    at = _department(monkeypatch, db_url, dept=idle[0], as_of=AS_OF)
    at.run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Open"] == "0" and shown["On time, 7 days"] == "—"
    assert "0.0% of the city's" in [c.value for c in at.caption]


def test_queue_puts_overdue_first_then_least_time_left(engine, db_url, monkeypatch):
    reference(engine)
    add_ticket(engine, NOW - timedelta(hours=30), due=NOW - timedelta(hours=6), external_id="LATE")
    add_ticket(engine, NOW - timedelta(hours=1), due=NOW + timedelta(hours=1, minutes=5),
               external_id="SOON")
    add_ticket(engine, NOW - timedelta(hours=2), due=NOW + timedelta(hours=20), external_id="LATER")
    add_ticket(engine, NOW - timedelta(hours=3), due=NOW - timedelta(minutes=30),
               external_id="JUST-LATE")
    add_ticket(engine, NOW - timedelta(hours=5), resolved=NOW - timedelta(hours=1),
               external_id="DONE")
    add_ticket(engine, NOW - timedelta(hours=5), department="WATER", external_id="ELSEWHERE")
    at = _department(monkeypatch, db_url, dept="ROADS", as_of=AS_OF)
    at.run()
    assert not at.exception
    queue = at.dataframe[0].value
    assert queue["Ticket"].tolist() == ["LATE", "JUST-LATE", "SOON", "LATER"]
    assert queue["Time left"].tolist() == ["overdue by 6 h", "overdue by 30 min",
                                           "1 h 5 min left", "20 h left"]


def test_unknown_department_in_a_link(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="NOPE")
    at.run()
    assert not at.exception
    assert any("NOPE" in w.value for w in at.warning)


def test_a_head_lands_on_their_own_department(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url)
    at.session_state["actor"] = Actor("w.head", "head", "WATER")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Vodokanal (water and sewerage)"


def test_a_viewer_sees_no_actions(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="ROADS")
    at.session_state["actor"] = Actor("v", "viewer")
    at.run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert not any(label.startswith("Reassign") for label in labels)
    assert any("may look but not reassign" in c.value for c in at.caption)


def test_a_dispatcher_sees_the_actions(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="ROADS")
    at.run()
    labels = [b.label for b in at.button]
    assert "Reassign 0 selected…" in labels and "Nothing to undo" in labels


def test_russian_department_page(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="WATER", lang="ru")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Водоканал"
    assert "Просрочено" in metrics(at)


def _map_view(at) -> dict:
    return city_map(at)["frame"]


def test_the_map_frames_its_tickets_and_keeps_still_through_refreshes(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="ROADS", as_of=AS_OF)
    at.run()
    assert not [e for e in at.get("bidi_component")
                if e.proto.component_name == "citydesk_city_map"], "drawn when the user gets there"
    at.session_state[lazy.flag("department-map")] = True
    at.run()
    framed = _map_view(at)
    # the department's open tickets, overdue in red; its districts list nothing when clicked
    frame = oracle.raw(city).dropna(subset=["lat", "lon"])
    mine = frame[(frame["department_code"] == "ROADS") & oracle.open_at(frame, NOW)]
    drawn = city_map(at)
    assert sorted(p["id"] for p in drawn["points"]) == sorted(mine["external_id"])
    assert {p["id"] for p in drawn["points"] if p["kind"] == "late"} == set(
        mine.loc[mine["due_at"] < NOW, "external_id"])
    assert drawn["districts"] and not any(d["pick"] for d in drawn["districts"])
    for n in range(5):  # new tickets far out east: a fresh frame would take them in
        add_ticket(city, NOW - timedelta(hours=3), lat=44.62, lon=33.80 + n / 1000,
                   department="ROADS")
    st.cache_data.clear()
    at.run()
    assert not at.exception
    assert _map_view(at) == framed, "the open page keeps its map where it was"
    fresh = _department(monkeypatch, db_url, scrolled=True, dept="ROADS", as_of=AS_OF)
    fresh.run()
    assert _map_view(fresh)["longitude"] > framed["longitude"]  # a new page frames them


def test_received_from_others_and_passed_on_equal_the_raw_events(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="ROADS", as_of=AS_OF)
    at.run()
    assert not at.exception
    expected = oracle.handoffs(oracle.events(city), NOW, "ROADS")
    assert expected["received_from_others_7d"] or expected["passed_on_7d"]  # teeth
    shown = metrics(at)
    assert shown["Received from others, 7 days"] == number(expected["received_from_others_7d"],
                                                           "en")
    assert shown["Passed on, 7 days"] == number(expected["passed_on_7d"], "en")


def test_undo_says_what_it_will_undo(city, db_url, monkeypatch):
    queue = oracle.raw(city)
    ids = queue[(queue["department_code"] == "ROADS") & queue["status"].isin(
        ["new", "in_progress"])]["external_id"].head(2).tolist()
    assert reassign(city, ids, "STORM", "drain", Actor("lena", "leadership")).ok
    at = _department(monkeypatch, db_url, dept="ROADS")
    at.run()
    assert not at.exception
    undo = next(b for b in at.button if b.label.startswith("Undo"))
    assert undo.label == "Undo: 2 to Storm Drains" and not undo.disabled


def test_nothing_to_undo_is_disabled(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="ROADS", lang="ru")
    at.run()
    undo = next(b for b in at.button if b.label == "Отменять нечего")
    assert undo.disabled


ENGLISH_WORDS = ("Open", "Overdue", "At risk", "Received", "Resolved", "Queue", "Reassign",
                 "Undo", "Nothing", "Card", "Search", "Time left", "Ticket", "Status",
                 "Category", "District", "Address", "Priority", "overdue by", " left", "New",
                 "In progress", "Choose", "Figures as of", "Moscow", "Acting as", "min", " h ",
                 "department", "operator", "Any time", "All matching", "Newest")


def test_a_russian_department_page_has_no_english_interface_words(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="ROADS", lang="ru", as_of=AS_OF)
    at.run()
    assert not at.exception
    texts = [m.label for m in at.metric] + [m.value for m in at.metric]
    texts += [c.value for c in at.caption] + [b.label for b in at.button]
    texts += [h.value for h in at.subheader] + [at.title[0].value]
    queue = at.dataframe[0].value
    texts += list(queue.columns) + [str(v) for v in queue.to_numpy().ravel()]
    found = [(w, x) for x in texts for w in ENGLISH_WORDS if w in x]
    assert not found, found[:5]
