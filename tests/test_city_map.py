"""The overview's SVG map (`map_drawing.drawing`, drawn by `ui/city_map.py`): every ticket
where Web Mercator puts it and in the kind its own row says, every district outlined, only the
names that fit whole and apart, the incidents ringed, the cells adding up to the tickets; and no
outside text is ever read as markup by its script."""

import math
import re
from datetime import UTC, datetime

import pytest

from devtools import oracle
from queries.filters import Filters
from queries.incidents import Incident
from queries.lookups import district_list
from queries.map_points import map_points
from tests.cities import seed
from ui import city_map, map_drawing
from ui.deck import text_box, ticket_view

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture
def city(engine):
    seed(engine, 3000, 3, NOW, progress=False, days=40)
    return engine


def _from_middle(lat: float, lon: float, view: dict) -> tuple[float, float]:
    """Pixels from the map's middle: a 512-pixel world at zoom 0, as deck.gl draws it."""
    world = 512 * 2 ** view["zoom"]

    def y(la: float) -> float:
        return (1 - math.asinh(math.tan(math.radians(la))) / math.pi) / 2 * world

    return ((lon - view["longitude"]) / 360 * world, y(lat) - y(view["latitude"]))


def _drawing(engine, lang: str = "en", incidents=(), **limits):
    with engine.connect() as conn:
        data = map_points(conn, Filters(as_of=NOW), **limits)
        districts = district_list(conn)
    view = map_drawing.frame(data, districts, lang, ticket_view(data.frame, map_drawing.SIZE))
    return map_drawing.drawing(data, districts, lang, view, incidents), data, districts


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_ticket_is_drawn_where_it_lies_in_the_kind_its_row_says(city, lang):
    drawn, data, districts = _drawing(city, lang, limit=10_000)
    assert not data.cells and drawn["cells"] == []
    raw = oracle.raw(city).dropna(subset=["lat", "lon"]).set_index("external_id")
    assert sorted(p["id"] for p in drawn["points"]) == sorted(raw.index)
    late = oracle.open_at(raw, NOW) & (raw["due_at"] < NOW)
    kinds = {p["id"]: p["kind"] for p in drawn["points"]}
    assert {i for i, k in kinds.items() if k == "late"} == set(raw.index[late])
    assert {i for i, k in kinds.items() if k == "open"} == set(raw.index[oracle.open_at(raw, NOW)
                                                                         & ~late])
    order = [p["kind"] for p in drawn["points"]]  # overdue drawn last, over the others
    assert order == sorted(order, key=["done", "open", "late"].index)
    for point in drawn["points"][::97]:
        row = raw.loc[point["id"]]
        assert point["at"] == pytest.approx(_from_middle(row.lat, row.lon, drawn["frame"]),
                                            abs=0.06)
    assert [d["code"] for d in drawn["districts"]] == districts["code"].tolist()
    assert all(re.fullmatch(r"(M[-\d. L]+Z)+", d["d"]) for d in drawn["districts"])
    assert drawn["words"]["zoom_in"] == ("Zoom in" if lang == "en" else "Приблизить")


def test_the_names_drawn_are_whole_and_apart_on_the_map(city):
    drawn, _, districts = _drawing(city, "ru")
    width, height = map_drawing.SIZE
    assert len(drawn["names"]) == len(districts)  # the others, for when the user zooms in
    boxes = []
    for name in [n for n in drawn["names"] if n["always"]]:
        w, h = text_box("\n".join(name["lines"]), map_drawing.NAME_ROOM)
        x, y = name["at"][0] + width / 2, name["at"][1] + height / 2
        boxes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    assert 3 <= len(boxes) <= len(districts)
    assert all(b[0] >= 0 and b[1] >= 0 and b[2] <= width and b[3] <= height for b in boxes)
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]


def test_many_tickets_become_cells_that_add_up_to_them(city):
    drawn, data, _ = _drawing(city, limit=50)
    assert data.cells and drawn["points"] == []
    assert len(drawn["cells"]) <= 50
    counts = [int(re.sub(r"\D", "", c["tip"][0])) for c in drawn["cells"]]
    assert sum(counts) == data.total == len(oracle.raw(city).dropna(subset=["lat", "lon"]))


def test_each_incident_is_ringed_with_its_number_of_reports(city):
    burst = Incident("pothole", "Pothole", None, None, None, None, NOW, NOW, 44.6, 33.5,
                     ("A", "B", "C"), (NOW, NOW, NOW))
    drawn, _, _ = _drawing(city, incidents=[burst])
    assert drawn["rings"] == [{"at": pytest.approx(list(_from_middle(44.6, 33.5,
                                                                     drawn["frame"])), abs=0.06),
                               "n": 3}]


def test_the_script_puts_outside_text_in_as_text_only():
    script = city_map._JS
    assert "textContent" in script
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", script)
