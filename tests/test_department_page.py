"""The department page through AppTest: its figures, its queue by urgency, who sees actions."""

from datetime import UTC, datetime, timedelta

import pytest

from db.permissions import Actor
from db.seed import seed
from queries.counters import counters
from queries.filters import Filters
from tests import oracle
from tests.factory import add_ticket, reference
from tests.pages import app, metrics
from ui.format import number

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
AS_OF = NOW.isoformat()


@pytest.fixture
def city(engine):
    seed(engine, 4000, 5, NOW, progress=False, days=40)
    return engine


def _department(monkeypatch, db_url, **params):
    at = app(monkeypatch, db_url, **params)
    at.switch_page("screens/department.py")
    return at


def test_counters_are_the_departments(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="ROADS", as_of=AS_OF)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Road Management"
    with city.connect() as conn:
        c = counters(conn, Filters(as_of=NOW, departments=("ROADS",)))
    shown = metrics(at)
    assert shown["Open"] == number(c.open, "en")
    assert shown["Overdue"] == number(c.overdue, "en")
    frame = oracle.raw(city)
    expected = oracle.counters(frame[frame["department_code"] == "ROADS"], NOW, "Europe/Moscow")
    assert c.open == expected["open"] and c.overdue == expected["overdue"]


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
    assert queue["Time left"].tolist() == ["overdue by 6:00", "overdue by 0:30", "1:05", "20:00"]


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
    assert "Reassign 0 selected…" in labels and "Undo my last reassignment" in labels


def test_russian_department_page(city, db_url, monkeypatch):
    at = _department(monkeypatch, db_url, dept="WATER", lang="ru")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Водоканал"
    assert "Просрочено" in metrics(at)
