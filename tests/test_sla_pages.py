"""Pages with deadlines in working hours: the time left says so, the card names the rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from demo.seed import load_demo_rules
from feeds.importer import import_file
from tests.pages import app
from ui.sla import rule_line, working_left

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday 12:30 in Moscow


def _city(engine, tmp_path, monkeypatch) -> None:
    """The demo city's rules, and three potholes: one on working hours, one whose source gave
    its deadline, one already overdue."""
    monkeypatch.setenv("CITY_TZ", "Europe/Moscow")
    load_demo_rules(engine, NOW)
    records = [
        {"service_request_id": "WORK", "service_name": "Pothole",
         "requested_datetime": "2026-11-26T11:00:00+03:00", "status": "open"},
        {"service_request_id": "GIVEN", "service_name": "Pothole",
         "requested_datetime": "2026-11-26T11:00:00+03:00", "status": "open",
         "expected_datetime": "2026-11-26T15:00:00+03:00"},
        {"service_request_id": "LATE", "service_name": "Pothole",
         "requested_datetime": "2026-11-24T08:00:00+03:00", "status": "open"},
    ]
    path = tmp_path / "potholes.json"
    path.write_text(json.dumps(records))
    import_file(engine, path)


def test_queue_says_working_time_left_in_both_languages(engine, db_url, tmp_path, monkeypatch):
    _city(engine, tmp_path, monkeypatch)
    at = app(monkeypatch, db_url, dept="ROADS", as_of=NOW.isoformat())
    at.switch_page("screens/department.py").run()
    assert not at.exception
    queue = at.dataframe[0].value
    # Thursday 11:00 + 9 working h = Friday 11:00; from 12:30: 4.5 h on Thursday, 3 on Friday.
    # Tuesday 08:00 + 9 working h = Tuesday 17:00: overdue by calendar time, 43.5 h.
    assert dict(zip(queue["Ticket"], queue["Time left"], strict=True)) == {
        "LATE": "overdue by 1 d 19 h", "GIVEN": "2 h 30 min left",
        "WORK": "7 working h 30 min left"}
    at.session_state["lang"] = "ru"
    at.run()
    queue = at.dataframe[0].value
    assert dict(zip(queue["Номер"], queue["Осталось"], strict=True))["WORK"] == \
        "осталось 7 раб. ч 30 мин"


def test_card_names_the_rule_and_shows_the_due_instant(engine, db_url, tmp_path, monkeypatch):
    _city(engine, tmp_path, monkeypatch)
    shown = {}
    for ticket in ("WORK", "GIVEN"):
        at = app(monkeypatch, db_url, id=ticket)
        at.switch_page("screens/ticket.py").run()
        assert not at.exception
        shown[ticket] = at.table[1].value
    assert "Deadline rule: 9 working h (city calendar)" in shown["WORK"].index
    assert shown["WORK"].loc["Due", ""] == "Nov 27, 2026, 11:00:00"
    assert "Deadline given by the source" in shown["GIVEN"].index
    assert shown["GIVEN"].loc["Due", ""] == "Nov 26, 2026, 15:00:00"


def test_working_time_and_rule_texts():
    assert working_left(3 * 3600, "en") == "3 working h left"
    assert working_left(45 * 60 + 59, "en") == "45 working min left"
    assert working_left(3 * 3600 + 20 * 60, "ru") == "осталось 3 раб. ч 20 мин"
    # A ticket stored before the rules keeps its category's calendar hours.
    assert rule_line({"due_basis": "calendar", "due_hours": None, "sla_hours": 24.0}, "en") == \
        "Deadline rule: 24 h round the clock"
    assert rule_line({"due_basis": "working", "due_hours": 1.5, "sla_hours": 24.0}, "ru") == \
        "Норматив: 1,5 раб. ч (по рабочему календарю)"
