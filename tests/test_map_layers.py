"""The heat map's layers: outlines under everything, names over the heat, and one point or cell
per ticket or group of tickets that the map query returned."""

import json
from datetime import UTC, datetime

import pytest

from db.seed import seed
from queries.filters import Filters
from queries.map import map_points
from queries.reference import district_list
from ui.map import build_deck, label_point, two_lines

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture
def city(engine):
    seed(engine, 3000, 3, NOW, progress=False, days=40)
    return engine


def _layers(engine, lang: str, **limits) -> tuple[list[dict], object]:
    with engine.connect() as conn:
        data = map_points(conn, Filters(as_of=NOW), **limits)
        districts = district_list(conn)
    deck = json.loads(build_deck(data, districts, lang).to_json())
    return deck["layers"], data


@pytest.mark.parametrize("name, shown", [
    ("Gagarinsky", "Gagarinsky"),
    ("Kamyshovaya Bay", "Kamyshovaya\nBay"),
    ("Нахимовский район", "Нахимовский\nрайон"),
    ("Left Bank of the River", "Left Bank of\nthe River"),
    ("Nameofadistrictwithoutspaces", "Nameofadistrictwithoutspaces"),
])
def test_long_district_names_break_at_the_space_nearest_the_middle(name, shown):
    assert two_lines(name) == shown


def test_a_name_sits_in_the_middle_of_its_largest_outline():
    square = [[0, 0], [4, 0], [4, 2], [0, 2], [0, 0]]  # lon, lat: middle at lat 1, lon 2
    islet = [[10, 10], [10.1, 10], [10.1, 10.1], [10, 10]]
    assert label_point(json.dumps({"type": "Polygon", "coordinates": [square]}), 9, 9) \
        == pytest.approx((1.0, 2.0))
    assert label_point(json.dumps({"type": "MultiPolygon", "coordinates": [[islet], [square]]}),
                       9, 9) == pytest.approx((1.0, 2.0))
    assert label_point(None, 44.6, 33.5) == (44.6, 33.5)
    assert label_point("", 44.6, 33.5) == (44.6, 33.5)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_outlines_first_names_last_and_every_point_drawn(city, lang):
    layers, data = _layers(city, lang, limit=10_000)
    assert [layer["id"] for layer in layers] == ["districts", "heat", "tickets", "district-names"]
    with city.connect() as conn:
        districts = district_list(conn)
    column = "name_ru" if lang == "ru" else "name"
    assert [n.replace("\n", " ") for n in (r["name"] for r in layers[-1]["data"])] \
        == districts[column].tolist()
    assert len(layers[0]["data"]["features"]) == len(districts)
    points = layers[2]["data"]
    assert sorted(p["external_id"] for p in points) == sorted(data.frame["external_id"])
    assert len(points) == data.total > 0


def test_many_tickets_become_cells_under_the_names(city):
    layers, data = _layers(city, "en", limit=50)
    assert data.cells
    assert [layer["id"] for layer in layers] == ["districts", "heat", "cells", "district-names"]
    assert sum(c["count"] for c in layers[2]["data"]) == data.total
