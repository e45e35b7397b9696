"""The map_cells rollup equals grouping the tickets themselves, and stays so as tickets change."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import Engine, select, update

from access.permissions import Actor
from db.engine import _alembic_config, migrate
from db.schema import MAP_CELL_DEG, departments, map_cells, tickets
from demo.seed import clear
from desk.actions import reassign
from queries.filters import Filters
from queries.map_points import _cells, _rollup_cells, _rollup_serves, _where, map_points
from tests.cities import seed
from tests.factory import add_ticket

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture
def city(engine):
    seed(engine, 3000, 3, NOW, progress=False, days=40)
    return engine


def _both(engine: Engine, f: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(from the rollup, from the tickets), in one order."""
    with engine.connect() as conn:
        rolled, grouped = _rollup_cells(conn, f), _cells(conn, _where(f, None), MAP_CELL_DEG)
    return tuple(frame.sort_values(["row", "col"], ignore_index=True)
                 for frame in (rolled, grouped))


FILTERS = {
    "now": Filters(as_of=NOW),
    "3 days ago": Filters(as_of=NOW - timedelta(days=3, seconds=17)),
    "before any ticket": Filters(as_of=NOW - timedelta(days=400)),
    "two departments": Filters(as_of=NOW, departments=("ROADS", "WATER")),
    "a district, 2 days ago": Filters(as_of=NOW - timedelta(days=2), districts=("centre",)),
}


@pytest.mark.parametrize("name", FILTERS)
def test_rollup_equals_grouping_the_tickets(city, name):
    rolled, grouped = _both(city, FILTERS[name])
    pd.testing.assert_frame_equal(rolled, grouped)
    assert name == "before any ticket" or len(grouped) > 10


def test_rollup_follows_new_moved_and_removed_tickets(city):
    roads = Filters(as_of=NOW + timedelta(hours=1), departments=("ROADS",))
    add_ticket(city, NOW + timedelta(minutes=5), department="ROADS", lat=44.61, lon=33.53)
    add_ticket(city, NOW + timedelta(minutes=6), department="ROADS", lat=None, lon=None)
    with city.connect() as conn:
        ticket = conn.execute(
            select(tickets.c.external_id)
            .join(departments, departments.c.id == tickets.c.department_id)
            .where(tickets.c.ended_at.is_(None), tickets.c.lat.is_not(None),
                   departments.c.code != "ROADS").limit(1)).scalar_one()
    assert reassign(city, [ticket], "ROADS", "closer to the road", Actor("a", "dispatcher")).ok
    with city.begin() as conn:  # a corrected address moves a ticket to another cell
        conn.execute(update(tickets).where(tickets.c.id <= 40)
                     .values(lat=tickets.c.lat + 0.01, lon=tickets.c.lon - 0.004))
    for f in (roads, roads.with_(departments=()), roads.with_(as_of=NOW)):
        rolled, grouped = _both(city, f)
        pd.testing.assert_frame_equal(rolled, grouped)
    clear(city)
    with city.connect() as conn:
        assert {r.tickets for r in conn.execute(select(map_cells))} <= {0}


def test_migration_fills_the_rollup_from_existing_tickets(city):
    command.downgrade(_alembic_config(city), "0004")
    migrate(city)
    rolled, grouped = _both(city, FILTERS["now"])
    pd.testing.assert_frame_equal(rolled, grouped)


def test_map_of_every_ticket_reads_the_rollup_and_others_the_tickets():
    f = Filters(as_of=NOW)
    assert _rollup_serves(f, None, MAP_CELL_DEG)
    assert not _rollup_serves(f.with_(statuses=("new",)), None, MAP_CELL_DEG)
    assert not _rollup_serves(f.with_(categories=("pothole",)), None, MAP_CELL_DEG)
    assert not _rollup_serves(f.with_(period_from=NOW - timedelta(days=7)), None, MAP_CELL_DEG)
    assert not _rollup_serves(f, None, MAP_CELL_DEG * 2)


def test_cells_from_the_rollup_add_up_to_every_ticket(city):
    with city.connect() as conn:
        data = map_points(conn, Filters(as_of=NOW), limit=300)
        located = conn.execute(select(tickets.c.id).where(
            tickets.c.lat.is_not(None), tickets.c.created_at <= NOW)).all()
    assert data.cells and len(data.frame) <= 300
    assert data.total == int(data.frame["count"].sum()) == len(located)
