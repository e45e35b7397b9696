"""Real cities' exports, imported as they are and shown with exact figures: what a demo never
breaks (local times without offsets, missing deadlines, their own statuses, date-only closures)."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import select

from db.schema import departments, tickets
from devtools import oracle
from feeds.importer import import_file
from queries.counters import counters
from queries.filters import Filters
from queries.workload import workload
from tests.pages import app, metrics
from words.formatting import number

DATA = Path(__file__).parent / "data"
LA = ZoneInfo("America/Los_Angeles")
NYC = ZoneInfo("America/New_York")


def test_los_angeles_export_imports_with_its_quirks_reported(engine):
    report = import_file(engine, DATA / "la311_2017_sample.csv", LA)
    assert (report.inserted, report.updated, len(report.skips)) == (1498, 0, 1)
    (position, reason), = report.skips
    assert position == 1015
    assert reason.startswith("resolved 2017-12-30T08:00:00Z is before requested")
    again = import_file(engine, DATA / "la311_2017_sample.csv", LA)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1498)


def test_los_angeles_owners_are_named_as_the_city_names_them(engine):
    import_file(engine, DATA / "la311_2017_sample.csv", LA)
    raw = pd.read_csv(DATA / "la311_2017_sample.csv", usecols=["SRNumber", "Owner"], dtype=str)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(tickets.c.external_id, departments.c.name)
                                   .join(departments)).all())
    owners = dict(zip(raw["SRNumber"], raw["Owner"], strict=True))
    names = {"BOS": "LA Sanitation (BOS)", "OCB": "Office of Community Beautification (OCB)",
             "ITA": "Information Technology Agency (ITA)",
             "BSL": "Bureau of Street Lighting (BSL)",
             "LADWP": "Department of Water and Power (LADWP)"}
    assert set(owners.values()) == set(names)  # every owner in the sample is one we name
    assert stored == {key: names[owners[key]] for key in stored}
    assert len(stored) == 1498


def test_new_york_export_in_progress_requests_are_kept(engine):
    report = import_file(engine, DATA / "nyc311_2022_sample.csv", NYC)
    assert (report.inserted, len(report.skips)) == (924, 0)
    frame = oracle.raw(engine)
    assert (frame["status"] == "in_progress").sum() == 440
    assert (frame["status"] == "closed").sum() == 480
    # No deadlines in the export: the category's SLA (24 h for a new category) is the due.
    assert ((frame["due_at"] - frame["created_at"]).dt.total_seconds() == 86400).all()


@pytest.mark.parametrize("as_of", ["2017-12-31T12:00:00-08:00", "2017-12-30T15:30:00-08:00"])
def test_los_angeles_figures_match_an_independent_computation(engine, as_of):
    import_file(engine, DATA / "la311_2017_sample.csv", LA)
    t = datetime.fromisoformat(as_of)
    f = Filters(as_of=t, tz=LA.key)
    with engine.connect() as conn:
        got = counters(conn, f).as_dict()
        load = workload(conn, f)
    expected = oracle.counters(oracle.raw(engine), t, LA.key)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value) if value is not None else got[key] is None, key
    assert got["received_today"] > 0
    by_code = oracle.workload(oracle.raw(engine), t, load["code"].tolist())
    for row in load.itertuples():
        assert (row.open, row.overdue, row.received_7d) == (
            by_code[row.code]["open"], by_code[row.code]["overdue"],
            by_code[row.code]["received_7d"])


def test_overview_shows_los_angeles(engine, db_url, monkeypatch):
    import_file(engine, DATA / "la311_2017_sample.csv", LA)
    monkeypatch.setenv("CITY_TZ", LA.key)
    at = app(monkeypatch, db_url, as_of="2017-12-31T12:00:00-08:00")
    monkeypatch.setenv("CITY_TZ", LA.key)
    at.run()
    assert not at.exception
    with engine.connect() as conn:
        c = counters(conn, Filters(as_of=datetime.fromisoformat("2017-12-31T12:00:00-08:00"),
                                   tz=LA.key))
    assert metrics(at)["Received on 31 Dec"] == number(c.received_today, "en")
