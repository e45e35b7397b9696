"""The heat map's layers: outlines under everything, names over the heat, and one point or cell
per ticket or group of tickets that the map query returned."""

import json
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pydeck as pdk
import pytest

from demo import city as demo
from demo.geo import voronoi_outlines
from queries.filters import Filters
from queries.lookups import district_list
from queries.map_points import map_points
from tests.cities import seed
from ui.deck import (
    MAX_ZOOM,
    build_deck,
    fit_view,
    fitted_size,
    label_point,
    label_points,
    on_screen,
    readable_names,
    ticket_view,
    two_lines,
)

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


def _on_screen(lat: float, lon: float, view, width: int, height: int) -> tuple[float, float]:
    """Where deck.gl draws a point: Web Mercator, a 512-pixel world at zoom 0."""
    world = 512 * 2 ** view.zoom

    def x(lo: float) -> float:
        return (lo + 180) / 360 * world

    def y(la: float) -> float:
        return (1 - math.asinh(math.tan(math.radians(la))) / math.pi) / 2 * world

    return (x(lon) - x(view.longitude) + width / 2, y(lat) - y(view.latitude) + height / 2)


@pytest.mark.parametrize("width, height", [(1060, 880), (880, 1060), (400, 300)])
def test_a_fitted_view_keeps_every_name_whole_and_is_as_close_as_that_allows(width, height):
    names = district_points()
    view = fit_view(names, width, height, margin=(90, 34))
    at = [_on_screen(r.lat, r.lon, view, width, height) for r in names.itertuples()]
    xs, ys = [x for x, _ in at], [y for _, y in at]
    assert min(xs) >= 90 - 1e-6 and max(xs) <= width - 90 + 1e-6
    assert min(ys) >= 34 - 1e-6 and max(ys) <= height - 34 + 1e-6
    # one way or the other the names touch both margins: any closer and one would be cut
    assert (min(xs) - 90 < 1e-6 and width - 90 - max(xs) < 1e-6) or \
           (min(ys) - 34 < 1e-6 and height - 34 - max(ys) < 1e-6)


def district_points() -> pd.DataFrame:
    """The demo city's name points, from the outlines its seed draws."""
    outlines = voronoi_outlines([(d.lat, d.lon) for d in demo.DISTRICTS], demo.LAND)
    return label_points(pd.DataFrame({"lat": [d.lat for d in demo.DISTRICTS],
                                      "lon": [d.lon for d in demo.DISTRICTS],
                                      "outline": outlines}))


def test_a_point_is_drawn_where_web_mercator_puts_it():
    view = pdk.ViewState(latitude=44.58, longitude=33.52, zoom=11.2)
    for lat, lon in ((44.58, 33.52), (44.7, 33.4), (44.45, 33.7), (-33.9, 151.2)):
        assert on_screen(lat, lon, view, 1060, 880) == pytest.approx(
            _on_screen(lat, lon, view, 1060, 880), abs=1e-6)


def _names_at(*rows: tuple[str, float, float]) -> list[dict]:
    return [{"name": name, "lat": lat, "lon": lon} for name, lat, lon in rows]


def test_names_that_would_overlap_or_cross_an_edge_are_left_out_busiest_first():
    view = pdk.ViewState(latitude=44.6, longitude=33.5, zoom=12)
    names = _names_at(("Quiet", 44.6, 33.5), ("Busy", 44.6001, 33.5001),  # one place
                      ("Edge", 44.6, 33.5 + 520 / (512 * 2 ** 12) * 360),  # 520 px east
                      ("Apart", 44.57, 33.5))
    points = pd.DataFrame({"lat": [44.6001] * 5 + [44.6, 44.57], "lon": [33.5001] * 5
                           + [33.5, 33.5]})
    kept = readable_names(names, points, view, (1060, 880), 22)
    assert [n["name"] for n in kept] == ["Busy", "Apart"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_names_kept_are_whole_and_apart(lang):
    at = district_points()
    names = [{"name": two_lines(name), "lat": lat, "lon": lon} for name, lat, lon in zip(
        [d.name if lang == "en" else d.name_ru for d in demo.DISTRICTS], at["lat"], at["lon"],
        strict=True)]
    view = fit_view(at, 1060, 880, margin=(30, 30))
    kept = readable_names(names, pd.DataFrame({"lat": [], "lon": []}), view, (1060, 880), 22)
    boxes = []
    for n in kept:
        x, y = _on_screen(n["lat"], n["lon"], view, 1060, 880)
        lines = n["name"].split("\n")
        w, h = max(map(len, lines)) * 0.7 * 22, len(lines) * 1.1 * 22
        boxes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    assert len(kept) >= len(names) // 2
    assert all(b[0] >= 0 and b[1] >= 0 and b[2] <= 1060 and b[3] <= 880 for b in boxes)
    assert not any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                   for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_a_ticket_view_shows_all_but_the_farthest_tickets_up_to_street_scale():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"lat": 44.6 + rng.normal(0, 0.03, 500),
                          "lon": 33.5 + rng.normal(0, 0.05, 500)})
    view = ticket_view(frame, (1060, 880))
    at = [_on_screen(r.lat, r.lon, view, 1060, 880) for r in frame.itertuples()]
    inside = [30 <= x <= 1060 - 30 and 30 <= y <= 880 - 30 for x, y in at]
    assert 0.92 <= sum(inside) / len(inside) < 1  # the farthest 2% each way may fall outside
    few = frame.head(40)  # under fifty tickets, none is too far to show
    assert all(30 - 1e-6 <= x <= 1060 - 30 + 1e-6 and 30 - 1e-6 <= y <= 880 - 30 + 1e-6
               for x, y in (_on_screen(r.lat, r.lon, ticket_view(few, (1060, 880)), 1060, 880)
                            for r in few.itertuples()))
    close = pd.DataFrame({"lat": [44.6, 44.6001, 44.6002], "lon": [33.5, 33.5001, 33.5]})
    assert ticket_view(close, (1060, 880)).zoom == MAX_ZOOM
    assert ticket_view(close.head(2), (1060, 880)) is None


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_sized_map_frames_every_name_and_draws_those_that_fit_apart(city, lang):
    with city.connect() as conn:
        data = map_points(conn, Filters(as_of=NOW))
        districts = district_list(conn)
    deck = json.loads(build_deck(data, districts, lang, size=(850, 420)).to_json())
    view = pdk.ViewState(**deck["initialViewState"])
    every = label_points(districts)
    at = [_on_screen(r.lat, r.lon, view, 850, 420) for r in every.itertuples()]
    assert all(0 < x < 850 and 0 < y < 420 for x, y in at)  # every name's place is on the map
    drawn = next(x for x in deck["layers"] if x["id"] == "district-names")["data"]
    assert 3 <= len(drawn) < len(districts)  # the demo city's centre is too crowded for all
    unsized = json.loads(build_deck(data, districts, lang).to_json())
    assert len(next(x for x in unsized["layers"] if x["id"] == "district-names")["data"]) == \
        len(districts)


PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


def test_a_phone_gets_a_map_framed_for_its_width(city):
    assert fitted_size((540, 460), DESKTOP) == (540, 460)
    assert fitted_size((540, 460), "") == (540, 460)
    assert fitted_size((540, 460), PHONE) == (358, 460)
    assert fitted_size((300, 200), PHONE) == (300, 200)
    with city.connect() as conn:
        frame = map_points(conn, Filters(as_of=NOW)).frame
    view = ticket_view(frame, fitted_size((540, 460), PHONE))
    xs = sorted(on_screen(r.lat, r.lon, view, 358, 460)[0] for r in frame.itertuples())
    far = len(xs) // 50  # the frame leaves out the farthest 2% each way
    assert xs[far] >= 0 and xs[-1 - far] <= 358, (xs[far], xs[-1 - far])
    assert view.zoom <= ticket_view(frame, (540, 460)).zoom  # no closer than a desktop's


@pytest.mark.parametrize("basemap", [None, "https://tiles.example/style.json"])
def test_no_street_map_is_fetched_unless_one_is_configured(city, basemap):
    with city.connect() as conn:
        data = map_points(conn, Filters(as_of=NOW))
        districts = district_list(conn)
    deck = json.loads(build_deck(data, districts, "en", basemap).to_json())
    if basemap is None:
        # pydeck's placeholder: Streamlit then draws no base map (an absent style would make
        # it fetch a street map from the internet)
        assert deck["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in deck
    else:
        assert deck["mapStyle"] == basemap and deck["mapProvider"] == "carto"
