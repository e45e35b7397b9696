"""The meeting screen's flow over the last 24 hours, against an independent count per local hour
over the raw rows, on both databases: the window's edges, the first minutes after midnight, a
daylight-saving change and a zone half an hour off UTC."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from devtools import oracle
from queries.filters import Filters
from queries.trend import last_day_flow
from tests.cities import seed
from tests.factory import add_ticket, reference

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 11, 25, 22, 7, 13, tzinfo=UTC)  # 01:07:13 in Moscow


def expected(frame: pd.DataFrame, column: str, as_of: datetime, tz: str) -> dict:
    """Tickets whose `column` lies in (as_of − 24 h, as_of], per local hour (its start)."""
    zone = ZoneInfo(tz)
    inside = frame[column].notna() & (frame[column] > pd.Timestamp(as_of - timedelta(hours=24))) \
        & (frame[column] <= pd.Timestamp(as_of))
    hours = frame.loc[inside, column].dt.tz_convert(zone).dt.floor("h")
    return {k.to_pydatetime(): int(v) for k, v in hours.value_counts().items()}


def shown(got: pd.DataFrame, column: str) -> dict:
    return {h: n for h, n in zip(got["hour"], got[column], strict=True) if n}


@pytest.mark.parametrize("as_of", [NOW, AFTER_MIDNIGHT, NOW - timedelta(days=9, minutes=41)],
                         ids=["morning", "just after midnight", "a past instant"])
def test_last_day_flow_matches_an_independent_count(engine, as_of):
    seed(engine, 4000, 5, NOW, progress=False, days=30)
    f = Filters(as_of=as_of, tz="Europe/Moscow")
    with engine.connect() as conn:
        got = last_day_flow(conn, f)
    frame = oracle.raw(engine)
    received = expected(frame, "created_at", as_of, f.tz)
    resolved = expected(frame, "resolved_at", as_of, f.tz)
    assert shown(got, "received") == received
    assert shown(got, "resolved") == resolved
    assert sum(received.values()) > 50, "a day's flow, not a near-empty one"
    assert len(got) == 25 and got["hour"].is_monotonic_increasing


def test_the_windows_start_is_out_and_its_end_is_in(engine):
    reference(engine)
    add_ticket(engine, NOW - timedelta(hours=24))  # exactly 24 h before: out
    add_ticket(engine, NOW - timedelta(hours=24) + timedelta(seconds=1))
    add_ticket(engine, NOW, resolved=NOW)  # exactly now: in
    add_ticket(engine, NOW + timedelta(seconds=1))  # after as_of: out
    with engine.connect() as conn:
        got = last_day_flow(conn, Filters(as_of=NOW))
    assert got["received"].tolist() == [1] + [0] * 23 + [1]
    assert got["resolved"].sum() == 1 and got["resolved"].iloc[-1] == 1


def test_a_daylight_saving_change_and_a_half_hour_zone(engine):
    reference(engine)
    berlin = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # clocks went 02:00 → 03:00 that night
    for h in range(0, 24, 3):
        add_ticket(engine, berlin - timedelta(hours=h, minutes=10))
    with engine.connect() as conn:
        got = last_day_flow(conn, Filters(as_of=berlin, tz="Europe/Berlin"))
        india = last_day_flow(conn, Filters(as_of=berlin, tz="Asia/Kolkata"))
    assert len(got) == 25 and got["received"].sum() == 8
    assert len({h.utcoffset() for h in got["hour"]}) == 2, "both offsets of that day"
    assert [h.minute for h in india["hour"]] == [0] * 25 and india["received"].sum() == 8
    frame = oracle.raw(engine)
    assert shown(india, "received") == expected(frame, "created_at", berlin, "Asia/Kolkata")
