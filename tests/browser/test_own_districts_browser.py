"""Los Angeles with its own districts (its neighbourhood councils' GeoJSON) in Chromium: the
overview's map draws every loaded outline, and each ticket point drawn lies inside the outline
of the district the database gives it (the browser's own `isPointInFill` decides)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from db.districts import load, read_file
from db.engine import make_engine, migrate
from db.schema import districts, tickets
from feeds.importer import import_file
from tests.browser.conftest import Server
from tests.test_real_data import DATA

pytestmark = pytest.mark.browser

AS_OF = "2017-12-31T12:00:00-08:00"
MAP = ".st-key-city-map"


@pytest.fixture
def los_angeles(tmp_path):
    url = f"sqlite:///{tmp_path / 'la.db'}"
    engine = make_engine(url)
    migrate(engine)
    import_file(engine, DATA / "la311_2017_sample.csv", ZoneInfo("America/Los_Angeles"))
    found = read_file(DATA / "la_neighborhood_councils_2019.geojson", "name")
    load(engine, found, "la_neighborhood_councils_2019.geojson")
    with engine.connect() as conn:
        placed = dict(conn.execute(select(tickets.c.external_id, districts.c.code)
                                   .outerjoin(districts,
                                              districts.c.id == tickets.c.district_id)).all())
        codes = set(conn.execute(select(districts.c.code)).scalars())
    engine.dispose()
    running = Server({"DATABASE_URL": url, "CITY_TZ": "America/Los_Angeles"})
    yield running, placed, codes
    running.stop()


def test_the_map_draws_the_citys_own_outlines_around_its_points(los_angeles, page):
    server, placed, codes = los_angeles
    page.set_viewport_size({"width": 1366, "height": 900})
    server.open(page, f"/?as_of={AS_OF.replace('+', '%2B')}")
    outlines = page.locator(f"{MAP} .districts path")
    expect(outlines).to_have_count(len(codes))
    drawn = outlines.evaluate_all("paths => paths.map(p => [p.dataset.code, "
                                  "p.getBBox().width * p.getBBox().height])")
    assert {code for code, _ in drawn} == codes
    assert all(area > 0 for _, area in drawn)
    # Which outline holds each drawn point, as the browser fills them; a point within two
    # pixels of an edge is left out (the drawing drops vertices under half a pixel apart).
    holders = page.locator(f"{MAP} svg").evaluate("""svg => {
        const paths = [...svg.querySelectorAll('.districts path')];
        const holding = (x, y) => paths.filter(p => p.isPointInFill(new DOMPoint(x, y)))
                                       .map(p => p.dataset.code).join(' ');
        return [...svg.querySelectorAll('.points circle')].map(c => {
            const x = +c.getAttribute('cx'), y = +c.getAttribute('cy');
            const here = holding(x, y);
            const clear = [[2, 0], [-2, 0], [0, 2], [0, -2]].every(
                ([dx, dy]) => holding(x + dx, y + dy) === here);
            return [c.dataset.id, here, clear];
        });
    }""")
    assert len(holders) > 50
    inside = [(ticket, here) for ticket, here, clear in holders if here and clear]
    assert len(inside) > 0.5 * len(holders)  # the whole city at 1366 px: many near an edge
    wrong = [(ticket, placed[ticket], here) for ticket, here in inside
             if placed[ticket] not in here.split()]
    assert wrong == []
