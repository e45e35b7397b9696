"""The overview's comparisons (same time yesterday, the previous 7 days) against an independent
pandas computation, on both databases, with the edges: a daylight-saving change, a filter, a
ticket due exactly at yesterday's instant, an empty city."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from devtools import oracle
from queries.changes import baseline, same_time_yesterday
from queries.filters import Filters
from tests.cities import seed
from tests.factory import add_ticket, reference

TZ = "Europe/Moscow"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def _yesterday(t: datetime, tz: str) -> datetime:
    """Written apart from queries/: the same local wall clock, one calendar day back."""
    local = pd.Timestamp(t).tz_convert(tz).tz_localize(None) - pd.Timedelta(days=1)
    return local.tz_localize(tz).to_pydatetime()


def _expected(frame: pd.DataFrame, t: datetime, tz: str) -> dict:
    then = oracle.counters(frame, _yesterday(t, tz), tz)
    week = oracle.counters(frame, t - timedelta(days=7), tz)
    return {
        "open": then["open"], "overdue": then["overdue"], "at_risk": then["at_risk"],
        "received_today": then["received_today"], "resolved_today": then["resolved_today"],
        "median_accept_s_7d": week["median_accept_s_7d"],
        "median_resolve_s_7d": week["median_resolve_s_7d"],
    }


def _close(a, b) -> bool:
    return a is b if a is None or b is None else abs(a - b) < 1e-9


@pytest.mark.parametrize("as_of", [NOW, NOW - timedelta(days=9, hours=3, seconds=11)],
                         ids=["now", "9 days ago"])
def test_baseline_matches_independent_computation(engine, as_of):
    seed(engine, 5000, 13, NOW, progress=False, days=40)
    frame = oracle.raw(engine)
    for dims in ({}, {"departments": ("ROADS", "WATER"), "districts": ("centre",)}):
        with engine.connect() as conn:
            got = baseline(conn, Filters(as_of=as_of, tz=TZ, **dims))
        mine = frame
        if dims:
            mine = frame[frame["department_code"].isin(dims["departments"])
                         & frame["district_code"].isin(dims["districts"])]
        expected = _expected(mine, as_of, TZ)
        for key, value in expected.items():
            assert _close(getattr(got, key), value), (dims, key, getattr(got, key), value)
        assert got.yesterday == as_of - timedelta(days=1)  # Moscow keeps no summer time
    assert expected["open"] > 0 and expected["received_today"] > 0


def test_same_time_yesterday_across_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")  # clocks went forward at 02:00 on 29 March 2026
    as_of = datetime(2026, 3, 29, 12, 0, tzinfo=berlin)
    then = same_time_yesterday(Filters(as_of=as_of, tz="Europe/Berlin"))
    assert then.astimezone(berlin).replace(tzinfo=None) == datetime(2026, 3, 28, 12, 0)
    assert as_of.astimezone(UTC) - then.astimezone(UTC) == timedelta(hours=23)
    assert then == _yesterday(as_of, "Europe/Berlin")


def test_due_exactly_at_yesterdays_instant_was_at_risk_then(engine):
    reference(engine)
    then = NOW - timedelta(days=1)
    add_ticket(engine, then - timedelta(hours=5), due=then)
    add_ticket(engine, then - timedelta(hours=30), due=then - timedelta(seconds=1))
    add_ticket(engine, NOW - timedelta(hours=1))  # not there yesterday
    with engine.connect() as conn:
        got = baseline(conn, Filters(as_of=NOW, tz=TZ))
    assert (got.open, got.overdue, got.at_risk) == (2, 1, 1)
    assert _expected(oracle.raw(engine), NOW, TZ)["at_risk"] == 1


def test_an_empty_city_compares_with_nothing(engine):
    reference(engine)
    with engine.connect() as conn:
        got = baseline(conn, Filters(as_of=NOW, tz=TZ))
    assert (got.open, got.overdue, got.received_today, got.median_accept_s_7d) == (0, 0, 0, None)
