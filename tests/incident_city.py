"""A seeded city with an incident and a spike playing now: the simulator's own burst ("No
water" in Gagarinsky) played up to the present, as `python -m db simulate --incident` does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from db.engine import make_engine, migrate
from demo.seed import seed
from demo.simulate import Clock, load_city, plan_burst, tick
from queries.filters import Filters
from queries.incidents import incidents
from queries.spikes import spikes

MINUTE = timedelta(minutes=1)


def incident_city(url: str, tickets: int = 20_000, days: int = 60) -> None:
    """Seed `url` up to four minutes ago, then play the burst's 30 reports (45 city minutes)
    and the city's own life through those minutes; checks that both alarms are found."""
    engine = make_engine(url)
    migrate(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - 4 * MINUTE
    seed(engine, tickets, 1563, start, progress=False, days=days)
    rng = np.random.default_rng(5)
    with engine.begin() as conn:
        city = load_city(conn, ZoneInfo("Europe/Moscow"))
    clock = Clock(start.timestamp(), speed=45.0)
    burst = plan_burst("No water", "Gagarinsky", 30, 45, start.timestamp(), clock, rng)
    for k in range(4):
        tick(engine, city, rng, start + k * MINUTE, start + (k + 1) * MINUTE, clock, burst)
    with engine.connect() as conn:
        f = Filters(as_of=now, tz="Europe/Moscow")
        found, jumps = incidents(conn, f), spikes(conn, f)
    engine.dispose()
    assert any(i.district == "gagarinsky" for i in found), found
    assert any(s.district == "gagarinsky" for s in jumps), jumps
