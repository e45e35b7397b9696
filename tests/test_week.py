"""The weekly meeting's figures against an independent pandas computation, on both databases:
every department and the city, across a daylight-saving change, with empty departments."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from db.schema import departments
from devtools import oracle
from queries.filters import Filters
from queries.tickets import TicketQuery, ticket_page
from queries.week import (
    CITY,
    FIGURES,
    figure_clause,
    last_full_week,
    parse_week,
    review,
    rises,
    week_figures,
)
from tests.cities import seed
from tests.factory import add_ticket, reference

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # a Thursday


@pytest.fixture
def city(engine):
    seed(engine, 6000, 11, NOW, progress=False, days=60)
    return engine


def _figures(engine, week):
    with engine.connect() as conn:
        return week_figures(conn, week)


def _rises(engine, week):
    with engine.connect() as conn:
        return rises(conn, week, "category", limit=50)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9


def _assert_week(engine, week) -> None:
    frame, events = oracle.raw(engine), oracle.events(engine)
    got = _figures(engine, week)
    codes = dict(zip(frame["department_id"], frame["department_code"], strict=False))

    with engine.connect() as conn:
        codes = dict(conn.execute(select(departments.c.id, departments.c.code)).all())
    for dept, figures in got.items():
        code = None if dept is CITY else codes[dept]
        want = oracle.week(frame, events, week.start, week.end, code)
        for name in FIGURES:
            assert _same(getattr(figures, name), want[name]), (code, name)


@pytest.mark.parametrize("tz", ["Europe/Moscow", "Europe/Berlin", "America/New_York"])
def test_every_weekly_figure_matches_the_independent_computation(city, tz):
    for week in (last_full_week(NOW, tz), last_full_week(NOW, tz).shifted(-3)):
        _assert_week(city, week)


def test_the_last_full_week_ends_before_now_in_city_time():
    # Monday 00:30 in Moscow is still Sunday 21:30 UTC: the week that just ended is W48.
    monday = datetime(2026, 11, 29, 21, 30, tzinfo=UTC)
    assert last_full_week(monday, "Europe/Moscow").label == "2026-W48"
    assert last_full_week(monday, "UTC").label == "2026-W47"
    week = parse_week("2026-W48", "Europe/Moscow")
    assert week.start == datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # Monday 00:00 in Moscow
    assert week.end == datetime(2026, 11, 29, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-W54", "2026-10", "W10", "2026-W00", "0000-W01", ""])
def test_a_week_that_does_not_exist_is_refused(text):
    with pytest.raises(ValueError):
        parse_week(text, "Europe/Moscow")


def test_a_week_across_the_autumn_clock_change_has_169_hours_and_its_edges(engine):
    reference(engine)
    tz = "Europe/Berlin"
    week = parse_week("2026-W43", tz)  # Mon 19 Oct – Mon 26 Oct; clocks go back on the 25th
    assert week.end - week.start == timedelta(hours=169)
    last_minute = week.end - timedelta(minutes=1)  # Sunday 23:59 local, after the change
    add_ticket(engine, last_minute, department="ROADS")
    add_ticket(engine, week.end, department="ROADS")  # Monday 00:00: the next week's
    add_ticket(engine, week.start, department="ROADS", accepted=week.start + timedelta(minutes=3),
               resolved=week.start + timedelta(hours=30), due=week.start + timedelta(hours=24))
    _assert_week(engine, week)
    figures = _figures(engine, week)[CITY]
    assert (figures.received, figures.resolved, figures.on_time_pct) == (2, 1, 0.0)
    assert figures.median_accept_s == 180.0
    assert (figures.open_at_end, figures.overdue_at_end) == (2, 0)


def test_a_department_with_no_tickets_in_the_week_has_zeros_and_nulls(engine):
    reference(engine)
    week = parse_week("2026-W47", "Europe/Moscow")
    add_ticket(engine, week.start + timedelta(hours=5), department="ROADS")
    figures = _figures(engine, week)
    empty = [f for dept, f in figures.items() if dept is not CITY and f.received == 0]
    assert empty, "the demo city has departments with nothing this week"
    for f in empty:
        assert (f.resolved, f.on_time_pct, f.median_accept_s, f.median_resolve_s,
                f.open_at_end, f.overdue_at_end, f.passed_on) == (0, None, None, None, 0, 0, 0)


def test_an_empty_database_gives_a_week_of_zeros(engine):
    week = parse_week("2026-W10", "Europe/Moscow")
    city = _figures(engine, week)[CITY]
    assert city.as_dict() == {"received": 0, "resolved": 0, "on_time_pct": None,
                              "median_accept_s": None, "median_resolve_s": None,
                              "open_at_end": 0, "overdue_at_end": 0, "passed_on": 0}


def test_every_drillable_figure_lists_exactly_its_tickets(city):
    week = last_full_week(NOW, "Europe/Moscow")
    figures = _figures(city, week)
    f = Filters(as_of=week.end, tz=week.tz)
    with city.connect() as conn:
        busiest = max((d for d in figures if d is not CITY), key=lambda d: figures[d].passed_on)
        from sqlalchemy import select

        from db.schema import departments
        code = conn.execute(select(departments.c.code).where(departments.c.id == busiest)).scalar()
        for figure in ("received", "resolved", "open_at_end", "overdue_at_end", "passed_on"):
            for dept, dept_code in ((CITY, None), (busiest, code)):
                where = figure_clause(figure, week, dept_code)
                _, total = ticket_page(conn, f, TicketQuery(), where)
                assert total == getattr(figures[dept], figure), (figure, dept_code)
    assert figures[busiest].passed_on > 0


def test_a_category_or_district_that_rose_lists_exactly_its_received_tickets(city):
    week = last_full_week(NOW, "Europe/Moscow")
    f = Filters(as_of=week.end, tz=week.tz)
    with city.connect() as conn:
        found = {"category": rises(conn, week, "category"),
                 "district": rises(conn, week, "district")}
        assert found["category"] or found["district"], "something rose"
        for dimension, rose in found.items():
            for r in rose:
                where = figure_clause("received", week, **{f"{dimension}_code": r.code})
                _, total = ticket_page(conn, f, TicketQuery(), where)
                assert total == r.count, (dimension, r.code)


def test_review_compares_with_the_week_before_and_the_mean_of_four(city):
    week = last_full_week(NOW, "Europe/Moscow")
    with city.connect() as conn:
        result = review(conn, week)
        earlier = [week_figures(conn, week.shifted(-k))[CITY] for k in range(1, 5)]
    assert result.previous[CITY] == earlier[0]
    assert result.usual[CITY]["received"] == sum(w.received for w in earlier) / 4
    frame = oracle.raw(city)
    still_open = frame[oracle.open_at(frame, week.end)].sort_values(["created_at", "id"])
    assert list(result.oldest_open["external_id"]) == list(still_open["external_id"][:10])
    payload = result.as_json()
    assert set(payload) == {"week", "start", "end", "city", "departments"}
    assert payload["week"] == week.label
    assert set(payload["city"]) == set(FIGURES)
    assert all(set(d) == {"department", *FIGURES} for d in payload["departments"])
    overdue = [d["overdue_at_end"] for d in payload["departments"]]
    assert overdue == sorted(overdue, reverse=True)


def test_what_rose_most_matches_counts_against_four_weeks(city):
    week = last_full_week(NOW, "Europe/Moscow")
    frame = oracle.raw(city)

    def count(code, w):
        rows = frame[(frame["category_code"] == code) & (frame["created_at"] >= w.start)
                     & (frame["created_at"] < w.end)]
        return len(rows)

    found = _rises(city, week)
    assert found
    for r in found:
        usual = sum(count(r.code, week.shifted(-k)) for k in range(1, 5)) / 4
        assert (r.count, r.usual) == (count(r.code, week), usual)
        assert r.rise > 0
    assert [r.rise for r in found] == sorted((r.rise for r in found), reverse=True)
