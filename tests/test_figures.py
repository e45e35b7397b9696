"""Every figure of the overview against an independent pandas computation, on both databases."""

from datetime import UTC, datetime, timedelta

import pytest

from devtools import oracle
from queries.counters import counters
from queries.filters import Filters
from queries.map_points import map_points
from queries.summary import summary
from queries.tickets import TicketQuery, ticket_page
from queries.trend import daily_flow, hourly_flow, weekly_on_time
from queries.workload import workload
from tests.cities import seed
from tests.factory import add_ticket, reference

TZ = "Europe/Moscow"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
AS_OFS = [NOW, NOW - timedelta(days=3, hours=5, seconds=17), NOW - timedelta(days=40)]


@pytest.fixture
def city(engine):
    seed(engine, 6000, 11, NOW, progress=False, days=60)
    return engine


def _filters(as_of, **kw) -> Filters:
    return Filters(as_of=as_of, tz=kw.pop("tz", TZ), **kw)


def _close(a, b):
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9


@pytest.mark.parametrize("as_of", AS_OFS, ids=["now", "3 days ago", "40 days ago"])
def test_counters_match_independent_computation(city, as_of):
    with city.connect() as conn:
        got = counters(conn, _filters(as_of)).as_dict()
    expected = oracle.counters(oracle.raw(city), as_of, TZ)
    assert got.keys() == expected.keys()
    for key in got:
        assert _close(got[key], expected[key]), key
    assert got["open"] > 0 and got["received_today"] > 0


def test_counters_within_a_department_and_district(city):
    frame = oracle.raw(city)
    f = _filters(NOW, departments=("ROADS", "WATER"), districts=("centre", "gagarinsky"))
    with city.connect() as conn:
        got = counters(conn, f).as_dict()
    mine = frame[frame["department_code"].isin(f.departments)
                 & frame["district_code"].isin(f.districts)]
    expected = oracle.counters(mine, NOW, TZ)
    for key in got:
        assert _close(got[key], expected[key]), key


@pytest.mark.parametrize("as_of", AS_OFS[:2], ids=["now", "3 days ago"])
def test_workload_matches_independent_computation(city, as_of):
    with city.connect() as conn:
        got = workload(conn, _filters(as_of))
    frame = oracle.raw(city)
    expected = oracle.workload(frame, as_of, got["code"].tolist())
    assert len(got) == 38
    for row in got.itertuples():
        e = expected[row.code]
        assert (row.open, row.overdue, row.at_risk, row.received_7d, row.resolved_7d) == (
            e["open"], e["overdue"], e["at_risk"], e["received_7d"], e["resolved_7d"]), row.code
        age = None if row.oldest_open_age_s != row.oldest_open_age_s else row.oldest_open_age_s
        assert _close(age, e["oldest_open_age_s"]), row.code
    keys = list(zip(got["overdue"], got["at_risk"], got["open"], strict=True))
    assert keys == sorted(keys, reverse=True), "worst first"


def test_daily_flow_matches_per_local_day(city):
    with city.connect() as conn:
        got = daily_flow(conn, _filters(NOW), days=30)
    frame = oracle.raw(city)
    received = oracle.per_local_day(frame["created_at"], NOW, TZ, 30)
    resolved = oracle.per_local_day(frame["resolved_at"], NOW, TZ, 30)
    assert dict(zip(got["day"], got["received"], strict=True)) == received
    assert dict(zip(got["day"], got["resolved"], strict=True)) == resolved


def test_hourly_flow_sums_to_today(city):
    f = _filters(NOW)
    with city.connect() as conn:
        hours = hourly_flow(conn, f)
        c = counters(conn, f)
    assert hours["received"].sum() == c.received_today
    assert hours["resolved"].sum() == c.resolved_today
    assert len(hours) == NOW.astimezone(f.zone).hour + 1


def test_weekly_on_time_matches(city):
    with city.connect() as conn:
        got = weekly_on_time(conn, _filters(NOW), weeks=6)
    frame = oracle.raw(city)
    done = frame[frame["resolved_at"].notna() & (frame["resolved_at"] <= NOW)].copy()
    local = done["resolved_at"].dt.tz_convert(TZ)
    done["week"] = (local.dt.normalize() - local.dt.weekday * timedelta(days=1)).dt.date
    done["ok"] = done["resolved_at"] <= done["due_at"]
    for row in got.itertuples():
        week = done[done["week"] == row.week]
        assert (row.resolved, row.on_time) == (len(week), int(week["ok"].sum())), row.week


def test_drill_down_tables_hold_the_tickets_behind_each_counter(city):
    f = _filters(NOW)
    with city.connect() as conn:
        c = counters(conn, f).as_dict()
        for subset in ("open", "overdue", "at_risk", "received_today", "resolved_today"):
            page, total = ticket_page(conn, f, TicketQuery(subset=subset, page_size=10))
            assert total == c[subset], subset
            assert len(page) == min(10, total)


def test_map_sends_points_then_cells(city):
    f = _filters(NOW, statuses=("new", "in_progress"))
    with city.connect() as conn:
        points = map_points(conn, f)
        everything = map_points(conn, _filters(NOW), limit=500)
    frame = oracle.raw(city)
    is_open = oracle.open_at(frame, NOW) & frame["lat"].notna()
    assert not points.cells and points.total == int(is_open.sum()) == len(points.frame)
    assert everything.cells and len(everything.frame) <= 500
    assert everything.frame["count"].sum() == everything.total == int(frame["lat"].notna().sum())


def test_summary_names_every_figure(city):
    with city.connect() as conn:
        result = summary(conn, _filters(NOW))
    assert set(result) == {"as_of", "open", "overdue", "at_risk", "received_today",
                           "resolved_today", "on_time_pct_7d", "median_accept_s_7d",
                           "median_resolve_s_7d", "departments"}
    assert sum(d["open"] for d in result["departments"]) == result["open"]
    assert set(result["departments"][0]) == {"department", "open", "overdue", "at_risk",
                                             "oldest_open_age_s", "received_7d", "resolved_7d"}


# ---- edges, with hand-made tickets -------------------------------------------------------

def test_ticket_due_exactly_at_as_of_is_at_risk_not_overdue(engine):
    reference(engine)
    add_ticket(engine, NOW - timedelta(hours=24), due=NOW)
    add_ticket(engine, NOW - timedelta(hours=25), due=NOW - timedelta(seconds=1))
    add_ticket(engine, NOW - timedelta(hours=20), due=NOW + timedelta(hours=2))
    add_ticket(engine, NOW - timedelta(hours=20), due=NOW + timedelta(hours=2, seconds=1))
    with engine.connect() as conn:
        c = counters(conn, _filters(NOW))
    assert (c.open, c.overdue, c.at_risk) == (4, 1, 2)


def test_ticket_resolved_exactly_at_due_is_on_time(engine):
    reference(engine)
    add_ticket(engine, NOW - timedelta(hours=30), due=NOW - timedelta(hours=6),
               accepted=NOW - timedelta(hours=29), resolved=NOW - timedelta(hours=6))
    add_ticket(engine, NOW - timedelta(hours=30), due=NOW - timedelta(hours=6),
               accepted=NOW - timedelta(hours=29), resolved=NOW - timedelta(hours=5, minutes=59))
    with engine.connect() as conn:
        c = counters(conn, _filters(NOW))
    assert c.on_time_pct_7d == 50.0
    assert c.median_accept_s_7d == 3600.0
    assert c.median_resolve_s_7d == (24 * 3600 + 24 * 3600 + 60) / 2


def test_ticket_created_at_local_midnight_counts_today(engine):
    reference(engine)
    local_midnight = datetime(2026, 11, 26, 0, 0, tzinfo=UTC) - timedelta(hours=3)  # MSK
    add_ticket(engine, local_midnight)
    add_ticket(engine, local_midnight - timedelta(seconds=1))
    with engine.connect() as conn:
        c = counters(conn, _filters(NOW))
        days = daily_flow(conn, _filters(NOW), days=2)
    assert c.received_today == 1
    assert days["received"].tolist() == [1, 1]


def test_a_day_across_a_time_zone_change_has_its_true_length(engine):
    """Berlin, 2026-03-29: clocks jump from 02:00 to 03:00, the day has 23 hours."""
    reference(engine)
    tz = "Europe/Berlin"
    day_start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # local midnight, +01:00
    next_day = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # local midnight, +02:00
    add_ticket(engine, day_start)
    add_ticket(engine, next_day - timedelta(seconds=1))
    add_ticket(engine, next_day)
    as_of = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    with engine.connect() as conn:
        days = daily_flow(conn, _filters(as_of, tz=tz), days=3)
        hours = hourly_flow(conn, _filters(next_day - timedelta(seconds=1), tz=tz))
    assert days["received"].tolist() == [0, 2, 1]
    assert len(hours) == 23
    assert hours["received"].sum() == 2


def test_empty_database_gives_zeros_and_nulls(engine):
    with engine.connect() as conn:
        result = summary(conn, _filters(NOW))
        page, total = ticket_page(conn, _filters(NOW), TicketQuery(subset="open"))
        points = map_points(conn, _filters(NOW))
    assert result["open"] == result["overdue"] == result["received_today"] == 0
    assert result["on_time_pct_7d"] is None and result["median_accept_s_7d"] is None
    assert result["departments"] == []
    assert total == 0 and page.empty and points.total == 0


def test_department_with_no_tickets_has_a_row_of_zeros(engine):
    reference(engine)
    add_ticket(engine, NOW - timedelta(hours=1))
    with engine.connect() as conn:
        frame = workload(conn, _filters(NOW)).set_index("code")
    assert frame.loc["ROADS", "open"] == 1
    assert frame.loc["ROADS", "oldest_open_age_s"] == 3600.0
    empty = frame.loc["CEMETERY"]
    assert (empty["open"], empty["overdue"], empty["received_7d"]) == (0, 0, 0)
    assert empty["oldest_open_age_s"] != empty["oldest_open_age_s"]  # NaN: nothing to measure


def test_as_of_in_the_past_sees_tickets_resolved_later_as_open(engine):
    reference(engine)
    add_ticket(engine, NOW - timedelta(hours=10), accepted=NOW - timedelta(hours=9),
               resolved=NOW - timedelta(hours=1), closed=NOW)
    with engine.connect() as conn:
        before = counters(conn, _filters(NOW - timedelta(hours=2)))
        after = counters(conn, _filters(NOW))
        not_yet = counters(conn, _filters(NOW - timedelta(hours=11)))
        page, _ = ticket_page(conn, _filters(NOW - timedelta(hours=2)), TicketQuery())
    assert (before.open, after.open, not_yet.open) == (1, 0, 0)
    assert page["status"].tolist() == ["in_progress"]
