"""Los Angeles' own 311 export on the overview, in Chromium: the map is Los Angeles, the counters
are that city's, as of a moment in 2017."""

from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from db.engine import make_engine, migrate
from feeds.importer import import_file
from tests.browser.conftest import Server, shoot
from tests.test_real_data import DATA

AS_OF = "2017-12-31T12:00:00-08:00"


@pytest.fixture
def los_angeles(tmp_path):
    url = f"sqlite:///{tmp_path / 'la.db'}"
    engine = make_engine(url)
    migrate(engine)
    import_file(engine, DATA / "la311_2017_sample.csv", ZoneInfo("America/Los_Angeles"))
    engine.dispose()
    running = Server({"DATABASE_URL": url, "CITY_TZ": "America/Los_Angeles"})
    yield running
    running.stop()


def test_los_angeles_overview(los_angeles, page):
    los_angeles.open(page, f"/?as_of={AS_OF.replace('+', '%2B')}")
    expect(page.get_by_text("Pacific Time").first).to_be_visible()
    # a past view names its day: 31 Dec in Los Angeles
    received = page.locator('[data-testid="stMetric"]').filter(has_text="Received on 31 Dec").first
    expect(received).to_be_visible()
    assert int(received.locator('[data-testid="stMetricValue"]').inner_text()) > 0
    shoot(page, "real-city-los-angeles", height=1500)
