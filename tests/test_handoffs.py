"""Work handed between departments: received from others and passed on in 7 days (also in the
workload), and where a category's tickets usually go, against the raw events on both
databases."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from access.permissions import Actor
from db.schema import departments
from desk.actions import reassign, undo_last, undoable
from devtools import oracle
from queries.filters import Filters
from queries.handoffs import handoffs, usual_targets
from queries.workload import workload
from tests.cities import seed
from tests.factory import add_ticket, reference

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
LENA = Actor("lena", "leadership")


@pytest.fixture
def city(engine):
    seed(engine, 6000, 11, NOW, progress=False, days=60)
    return engine


@pytest.mark.parametrize("as_of", [NOW, NOW - timedelta(days=3, hours=5, seconds=17)],
                         ids=["now", "3 days ago"])
def test_workload_counts_received_from_others_and_passed_on(city, as_of):
    with city.connect() as conn:
        got = workload(conn, Filters(as_of=as_of)).set_index("code")
    ev = oracle.events(city)
    moved = 0
    for code, row in got.iterrows():
        expected = oracle.handoffs(ev, as_of, code)
        assert (row["received_from_others_7d"], row["passed_on_7d"]) == (
            expected["received_from_others_7d"], expected["passed_on_7d"]), code
        moved += expected["passed_on_7d"]
    assert moved > 0, "the demo city passes tickets on (the test has teeth)"
    assert got["received_from_others_7d"].sum() == got["passed_on_7d"].sum() == moved


def test_handoffs_follow_a_district_filter(city):
    f = Filters(as_of=NOW, districts=("centre",))
    with city.connect() as conn:
        got = handoffs(conn, f)
    ev = oracle.events(city)
    ev = ev[ev["district_code"] == "centre"]
    for code in set(ev["to_code"].dropna()) | set(ev["from_code"].dropna()):
        expected = oracle.handoffs(ev, NOW, code)
        with city.connect() as conn:
            dept_id = conn.execute(select(departments.c.id)
                                   .where(departments.c.code == code)).scalar_one()
        row = got.loc[dept_id] if dept_id in got.index else {"received_from_others_7d": 0,
                                                             "passed_on_7d": 0}
        assert (row["received_from_others_7d"], row["passed_on_7d"]) == (
            expected["received_from_others_7d"], expected["passed_on_7d"]), code


def test_a_move_counts_inside_the_week_and_not_at_its_open_end(engine):
    reference(engine)
    a = add_ticket(engine, NOW - timedelta(days=9))
    b = add_ticket(engine, NOW - timedelta(days=9))
    week_ago = NOW - timedelta(days=7)
    assert reassign(engine, [a], "STORM", "drain", LENA, now=week_ago).ok  # not in (−7 d, now]
    assert reassign(engine, [b], "STORM", "drain", LENA,
                    now=week_ago + timedelta(seconds=1)).ok
    with engine.connect() as conn:
        load = workload(conn, Filters(as_of=NOW)).set_index("code")
    assert load.loc["ROADS", "passed_on_7d"] == 1 and load.loc["STORM",
                                                               "received_from_others_7d"] == 1
    assert load.loc["WATER", ["received_from_others_7d", "passed_on_7d"]].tolist() == [0, 0]


def test_usual_targets_rank_a_categorys_past_moves_and_leave_out_undos(engine):
    reference(engine)
    tickets = [add_ticket(engine, NOW - timedelta(days=2)) for _ in range(6)]
    at = NOW - timedelta(days=1)
    assert reassign(engine, tickets[:3], "STORM", "drain", LENA, now=at).ok
    assert reassign(engine, tickets[3:5], "WATER", "pipe", LENA, now=at + timedelta(1)).ok
    assert undo_last(engine, LENA, now=at + timedelta(hours=25)).ok  # back to ROADS: no target
    assert reassign(engine, tickets[5:], "LIGHT", "lamp", LENA, now=at + timedelta(hours=26)).ok
    with engine.connect() as conn:
        got = usual_targets(conn, ("pothole", "curb"), Filters(as_of=NOW + timedelta(days=1)))
        before = usual_targets(conn, ("pothole",), Filters(as_of=at))
    ev = oracle.events(engine)
    expected = oracle.usual_targets(ev, NOW + timedelta(days=1), "pothole")
    assert expected == [("STORM", 3), ("WATER", 2), ("LIGHT", 1)]
    assert list(zip(got["department_code"], got["moves"], strict=True)) == expected
    assert set(got["category_code"]) == {"pothole"}
    assert before["department_code"].tolist() == ["STORM"]  # only what happened by as_of


def test_usual_targets_match_the_demo_city(city):
    with city.connect() as conn:
        got = usual_targets(conn, ("pothole", "manhole", "no_water"), Filters(as_of=NOW))
    ev = oracle.events(city)
    assert not got.empty
    for category in ("pothole", "manhole", "no_water"):
        mine = got[got["category_code"] == category]
        assert list(zip(mine["department_code"], mine["moves"], strict=True)) == \
            oracle.usual_targets(ev, NOW, category), category


def test_undoable_names_what_undo_would_reverse(engine):
    reference(engine)
    a = add_ticket(engine, NOW - timedelta(hours=3))
    b = add_ticket(engine, NOW - timedelta(hours=2))
    with engine.connect() as conn:
        assert undoable(conn, LENA) is None
    assert reassign(engine, [a, b], "STORM", "drain", LENA, now=NOW).ok
    with engine.connect() as conn:
        pending = undoable(conn, LENA)
    assert (pending.tickets, pending.to_department, pending.at) == (2, "STORM", NOW)
    assert undo_last(engine, LENA, now=NOW + timedelta(minutes=1)).ok
    with engine.connect() as conn:
        assert undoable(conn, LENA) is None
