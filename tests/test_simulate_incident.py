"""The simulator plays an incident on both databases: its reports arrive within their minutes
and are found as one incident and a spike; bad names are refused with one line."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from db.__main__ import main
from demo.simulate import Clock, load_city, plan_burst, tick
from queries.filters import Filters
from queries.incidents import incidents
from queries.spikes import spikes
from tests.cities import seed

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_a_played_incident_is_found_as_one_and_as_a_spike(engine):
    seed(engine, 3000, 7, NOW, progress=False, days=21)
    rng = np.random.default_rng(5)
    with engine.begin() as conn:
        c = load_city(conn, ZoneInfo("Europe/Moscow"))
    clock = Clock(NOW.timestamp(), speed=45.0)  # 45 city minutes in one real minute
    burst = plan_burst("No water", "Gagarinsky", 30, 45, NOW.timestamp(), clock, rng)
    assert len(burst.at) == 30 and NOW.timestamp() <= burst.at[0] <= burst.at[-1] <= \
        NOW.timestamp() + 60
    for k in range(2):
        tick(engine, c, rng, NOW + k * MINUTE, NOW + (k + 1) * MINUTE, clock, burst)
    f = Filters(as_of=NOW + 2 * MINUTE, tz="Europe/Moscow")
    with engine.connect() as conn:
        found = incidents(conn, f)
        jumps = spikes(conn, f)
    burst_ids = [i for i in found if (i.category, i.district) == ("no_water", "gagarinsky")]
    assert len(burst_ids) == 1 and burst_ids[0].size >= 27
    assert ("gagarinsky", "no_water") in {(s.district, s.category) for s in jumps}


@pytest.mark.parametrize(("args", "message"), [
    (["--incident", "No water"], "--incident and --district go together"),
    (["--incident", "water", "--district", "centre"], "no single category called 'water'"),
    (["--incident", "No water", "--district", "Atlantis"], "no single district called"),
    (["--incident", "No water", "--district", "centre", "--reports", "0"], "above 0"),
])
def test_simulate_refuses_a_bad_incident_with_one_line(db_url, capsys, args, message):
    assert main(["--database", db_url, "simulate", "--duration", "1", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
