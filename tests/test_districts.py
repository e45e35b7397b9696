"""A city's own districts (db/districts.py): Los Angeles' neighbourhood councils, as published
(MultiPolygons, three with holes), loaded before and after an import of its MyLA311 export, on
both databases. Every ticket's district is checked against this file's own point-in-polygon
computation: a winding number per ring with holes taken out (the product uses one even-odd count
over all rings), over the raw GeoJSON read here with the json module."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine, func, insert, select

from db.__main__ import main
from db.districts import CityDistricts, DistrictFileError, Outlines, parse
from db.schema import district_map, districts, map_cells, tickets
from feeds.importer import import_file
from queries.filters import Filters
from queries.lookups import district_list
from queries.tickets import TicketQuery, ticket_rows

DATA = Path(__file__).parent / "data"
GEOJSON = DATA / "la_neighborhood_councils_2019.geojson"
EXPORT = DATA / "la311_2017_sample.csv"
LA = ZoneInfo("America/Los_Angeles")


# --- the test's own geometry ---------------------------------------------------------------------

def _winding(ring: list[list[float]], x: float, y: float) -> int:
    """The winding number of a closed ring around (x, y) (Sunday's crossing-direction count)."""
    n = 0
    for (x1, y1), (x2, y2) in pairwise(ring):
        cross = (x2 - x1) * (y - y1) - (x - x1) * (y2 - y1)
        if y1 <= y < y2 and cross > 0:
            n += 1
        elif y2 <= y < y1 and cross < 0:
            n -= 1
    return n


_BOXES: dict[int, tuple[dict, tuple[float, float, float, float]]] = {}  # kept: ids stay unique


def _holds(geometry: dict, x: float, y: float) -> bool:
    parts = [geometry["coordinates"]] if geometry["type"] == "Polygon" else \
        geometry["coordinates"]
    if id(geometry) not in _BOXES:
        xs = [p[0] for part in parts for p in part[0]]
        ys = [p[1] for part in parts for p in part[0]]
        _BOXES[id(geometry)] = (geometry, (min(xs), min(ys), max(xs), max(ys)))
    x0, y0, x1, y1 = _BOXES[id(geometry)][1]
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    for outer, *holes in parts:
        if _winding(outer, x, y) != 0 and not any(_winding(h, x, y) != 0 for h in holes):
            return True
    return False


def expected_district(features: list[dict], lat: float | None, lon: float | None,
                      named: str | None) -> str | None:
    """The first feature holding the point; else the export's name if it is a feature's."""
    if lat is not None and lon is not None:
        for f in features:
            if _holds(f["geometry"], lon, lat):
                return f["properties"]["name"]
    names = {f["properties"]["name"].casefold(): f["properties"]["name"] for f in features}
    return names.get((named or "").strip().casefold())


@pytest.fixture(scope="module")
def features() -> list[dict]:
    return json.loads(GEOJSON.read_text())["features"]


@pytest.fixture(scope="module")
def export_names() -> dict[str, str]:
    with EXPORT.open(newline="") as f:
        return {row["SRNumber"]: row["NCName"] for row in csv.DictReader(f)}


def load(url: str, *extra: str) -> int:
    return main(["--database", url, "districts", "load", str(GEOJSON), "--name-field", "name",
                 *extra])


def stored(engine: Engine) -> dict[str, tuple[float | None, float | None, str | None]]:
    with engine.connect() as conn:
        return {r.external_id: (r.lat, r.lon, r.name) for r in conn.execute(
            select(tickets.c.external_id, tickets.c.lat, tickets.c.lon, districts.c.name)
            .outerjoin(districts, districts.c.id == tickets.c.district_id))}


def check_every_ticket(engine: Engine, features: list[dict], export_names: dict[str, str]) -> int:
    """Assert each ticket's district; the number placed by a point inside an outline."""
    rows = stored(engine)
    assert len(rows) == 1498
    inside = 0
    for external_id, (lat, lon, name) in rows.items():
        want = expected_district(features, lat, lon, export_names[external_id])
        assert name == want, external_id
        inside += lat is not None and any(_holds(f["geometry"], lon, lat) for f in features)
    return inside


# --- the file's districts, with their holes ------------------------------------------------------

def test_the_published_file_has_multipolygons_with_holes(features):
    holed = [f["properties"]["name"] for f in features
             if any(len(part) > 1 for part in f["geometry"]["coordinates"])]
    assert len(features) == 99
    assert {f["geometry"]["type"] for f in features} == {"MultiPolygon"}
    assert len(holed) == 3


def test_a_point_in_a_hole_is_outside_its_district(features):
    holed = next(f for f in features if len(f["geometry"]["coordinates"][0]) > 1)
    hole = holed["geometry"]["coordinates"][0][1]
    # A point just inside the hole's first edge, found by the test's own geometry.
    x = sum(p[0] for p in hole[:-1]) / (len(hole) - 1)
    y = sum(p[1] for p in hole[:-1]) / (len(hole) - 1)
    assert _winding(hole, x, y) != 0, "the hole's vertex mean should lie in it"
    found = parse({"type": "FeatureCollection", "features": [holed]}, "name")
    located = Outlines([7], [found[0].rings]).locate(np.array([y]), np.array([x]))
    assert located.tolist() == [0]
    outer = holed["geometry"]["coordinates"][0][0]
    assert _winding(outer, x, y) != 0  # inside the outer ring: only the hole takes it out


# --- loaded before and after an import ------------------------------------------------------------

def test_districts_loaded_after_an_import_place_every_ticket(engine, db_url, features,
                                                            export_names, capsys):
    import_file(engine, EXPORT, LA)
    assert load(db_url) == 0
    out = capsys.readouterr().out
    assert "loaded 99 districts" in out
    inside = check_every_ticket(engine, features, export_names)
    assert inside > 1300
    with engine.connect() as conn:
        names = set(conn.execute(select(districts.c.name)).scalars())
        assert names == {f["properties"]["name"] for f in features}
        assert conn.execute(select(func.count()).select_from(districts)
                            .where(districts.c.outline.is_(None))).scalar_one() == 0
        # The map's rollup moved with the tickets, in the same transaction.
        district = func.coalesce(tickets.c.district_id, 0)
        per_district = dict(conn.execute(
            select(district, func.count()).where(tickets.c.lat.is_not(None))
            .group_by(district)).all())
        rolled = {d: n for d, n in conn.execute(
            select(map_cells.c.district_id, func.sum(map_cells.c.tickets))
            .group_by(map_cells.c.district_id)).all() if n}
    assert rolled == per_district


def test_districts_loaded_before_an_import_place_every_new_ticket(engine, db_url, features,
                                                                 export_names):
    assert load(db_url) == 0
    import_file(engine, EXPORT, LA)
    check_every_ticket(engine, features, export_names)
    with engine.connect() as conn:  # the export's names made no district of their own
        assert conn.execute(select(func.count()).select_from(districts)).scalar_one() == 99


def test_loading_twice_changes_nothing_the_second_time(engine, db_url, features, export_names,
                                                       capsys):
    import_file(engine, EXPORT, LA)
    assert load(db_url) == 0
    before = stored(engine)
    capsys.readouterr()
    assert load(db_url) == 0
    assert "0 new, 0 removed" in capsys.readouterr().out
    assert stored(engine) == before


def test_the_drill_down_of_a_district_lists_the_points_inside_it(engine, db_url, features):
    import_file(engine, EXPORT, LA)
    assert load(db_url) == 0
    name = "SYLMAR NC"
    feature = next(f for f in features if f["properties"]["name"] == name)
    points = [external_id for external_id, (lat, lon, _) in stored(engine).items()
              if lat is not None and _holds(feature["geometry"], lon, lat)]
    with engine.connect() as conn:
        code = conn.execute(select(districts.c.code).where(districts.c.name == name)).scalar_one()
        shown = drill_down_points(conn, code)
    assert sorted(shown) == sorted(points)
    assert len(points) > 20


def drill_down_points(conn, code: str) -> list[str]:
    """The points the overview's drill-down lists for a district (its own query)."""
    f = Filters(as_of=datetime(2030, 1, 1, tzinfo=UTC), tz="America/Los_Angeles",
                districts=(code,))
    rows = ticket_rows(conn, f, TicketQuery())
    return list(rows["external_id"])


def test_the_maps_outlines_are_the_files(engine, db_url, features):
    assert load(db_url) == 0
    with engine.connect() as conn:
        rows = district_list(conn)
    by_name = {r["name"]: json.loads(r["outline"]) for r in rows.to_dict("records")}
    for f in features:
        got = by_name[f["properties"]["name"]]
        coords = f["geometry"]["coordinates"]
        want = coords[0] if len(coords) == 1 else coords
        assert got["coordinates"] == want


# --- the writers after a load: sync's and intake's new tickets ------------------------------------

def test_a_new_ticket_outside_every_outline_keeps_only_a_loaded_name(engine, db_url):
    assert load(db_url) == 0
    with engine.connect() as conn:
        places = CityDistricts.read(conn)
        sylmar = conn.execute(select(districts.c.id).where(districts.c.name == "SYLMAR NC")
                              ).scalar_one()
    assert places is not None
    assert places.place("Sylmar NC", 0.0, 0.0) == sylmar
    assert places.place("Nowhere", 0.0, 0.0) is None
    assert places.place(None, None, None, kept=sylmar) == sylmar
    assert places.place(None, None, None, kept=10_000) is None


# --- a bad file is refused whole, nothing changed ------------------------------------------------

SQUARE = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]


def feature(name: object = "A", coordinates: object = SQUARE, kind: str = "Polygon",
            **props: object) -> dict:
    return {"type": "Feature", "properties": {"name": name, **props},
            "geometry": {"type": kind, "coordinates": coordinates}}


BAD_FILES = {
    "not a collection": ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
    "no features": ({"type": "FeatureCollection", "features": []}, "has no features"),
    "no such field": ({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"title": "A"},
         "geometry": {"type": "Polygon", "coordinates": SQUARE}}]},
        "feature 1: no property 'name' (it has: title)"),
    "duplicate": ({"type": "FeatureCollection", "features": [feature("A"), feature("a")]},
                  "feature 2 ('a'): the same name as feature 1"),
    "open ring": ({"type": "FeatureCollection", "features": [
        feature("A"), feature("B", [[[0, 0], [1, 0], [1, 1], [0, 1]]])]},
        "feature 2 ('B'): polygon 1, ring 1: not closed"),
    "short ring": ({"type": "FeatureCollection", "features": [
        feature("A", [[[0, 0], [1, 0], [0, 0]]])]},
        "feature 1 ('A'): polygon 1, ring 1: 3 positions; a ring needs at least 4"),
    "latitude out of range": ({"type": "FeatureCollection", "features": [
        feature("A", [[[0, 0], [1, 0], [1, 100], [0, 0]]])]},
        "position 3 (1, 100) is not a longitude and latitude"),
    "a point": ({"type": "FeatureCollection", "features": [feature("A", [0, 0], "Point")]},
                "feature 1 ('A'): its geometry is 'Point', not a Polygon or MultiPolygon"),
    "flat ring": ({"type": "FeatureCollection", "features": [
        feature("A", [[[0, 0], [1, 1], [2, 2], [0, 0]]])]}, "encloses no area"),
}


@pytest.fixture
def loaded_city(engine, db_url):
    """The LA export imported and its districts loaded: what a bad file must leave alone."""
    import_file(engine, EXPORT, LA)
    assert load(db_url) == 0
    return engine


def snapshot(engine: Engine) -> tuple:
    with engine.connect() as conn:
        return (sorted(map(tuple, conn.execute(select(districts)).all())),
                sorted(map(tuple, conn.execute(select(tickets.c.id, tickets.c.district_id,
                                                      tickets.c.version)).all())),
                conn.execute(select(district_map.c.source)).scalars().all())


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_whole_with_the_feature_and_reason(loaded_city, db_url, tmp_path,
                                                                 capsys, case):
    document, reason = BAD_FILES[case]
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(document))
    before = snapshot(loaded_city)
    capsys.readouterr()
    code = main(["--database", db_url, "districts", "load", str(path), "--name-field", "name"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert reason in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert snapshot(loaded_city) == before


@pytest.mark.parametrize("content, reason", [
    (None, "cannot read it (No such file or directory)"),
    (b"\xff\xfe{}", "not UTF-8 text"),
    ("{broken", "not JSON (line 1, column 2"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "A"},'
     ' "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [NaN, 0], [1, 1], [0, 0]]]}}]}',
     "position 2 (nan, 0) is not a longitude and latitude"),
])
def test_an_unreadable_file_is_refused_in_one_line(engine, db_url, tmp_path, capsys, content,
                                                   reason):
    path = tmp_path / "f.geojson"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code = main(["--database", db_url, "districts", "load", str(path), "--name-field", "name"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and reason in err and len(err.splitlines()) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(district_map)).scalar_one() == 0


def test_a_file_with_a_byte_order_mark_is_read(engine, db_url, tmp_path, capsys):
    path = tmp_path / "bom.geojson"
    path.write_bytes(b"\xef\xbb\xbf" + GEOJSON.read_bytes())
    assert main(["--database", db_url, "districts", "load", str(path), "--name-field",
                 "name"]) == 0
    assert capsys.readouterr().out.startswith("loaded 99 districts")


def test_parse_refuses_a_name_that_is_not_text():
    with pytest.raises(DistrictFileError, match="feature 1: its 'name' is null, not a name"):
        parse({"type": "FeatureCollection", "features": [feature(None)]}, "name")


# --- the list of codes ----------------------------------------------------------------------------

def test_list_prints_every_code(engine, db_url, capsys):
    with engine.begin() as conn:
        conn.execute(insert(districts), [{"code": "b_side", "name": "B side", "name_ru": "Бэ"},
                                         {"code": "a_side", "name": "A side", "name_ru": None}])
    assert main(["--database", db_url, "list", "districts"]) == 0
    assert capsys.readouterr().out.splitlines() == ["a_side\tA side", "b_side\tB side\tБэ"]


# --- the other writers after a load: the simulator and the social-network intake ------------------

SEED_NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def wards(engine: Engine) -> dict:
    """A 3 x 3 grid of wards over the city's tickets, the middle one with a hole."""
    with engine.connect() as conn:
        lat0, lat1, lon0, lon1 = conn.execute(select(
            func.min(tickets.c.lat), func.max(tickets.c.lat), func.min(tickets.c.lon),
            func.max(tickets.c.lon))).one()
    features = []
    for i in range(3):
        for j in range(3):
            x0, x1 = lon0 + (lon1 - lon0) * j / 3, lon0 + (lon1 - lon0) * (j + 1) / 3
            y0, y1 = lat0 + (lat1 - lat0) * i / 3, lat0 + (lat1 - lat0) * (i + 1) / 3
            rings = [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]
            if (i, j) == (1, 1):
                cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 4, (y1 - y0) / 4
                rings.append([[cx - rx, cy - ry], [cx - rx, cy + ry], [cx + rx, cy + ry],
                              [cx + rx, cy - ry], [cx - rx, cy - ry]])
            features.append({"type": "Feature", "properties": {"name": f"Ward {3 * i + j + 1}"},
                             "geometry": {"type": "Polygon", "coordinates": rings}})
    return {"type": "FeatureCollection", "features": features}


def test_the_simulator_and_the_intake_place_new_tickets_by_their_point(engine, db_url,
                                                                       tmp_path):
    from demo.seed import seed
    from demo.simulate import Clock, load_city, tick
    from feeds.intake.pipeline import intake

    seed(engine, 400, 7, SEED_NOW, progress=False, days=3)
    document = wards(engine)
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps(document))
    assert main(["--database", db_url, "districts", "load", str(path),
                 "--name-field", "name"]) == 0
    features = document["features"]

    rng = np.random.default_rng(5)
    with engine.begin() as conn:
        c = load_city(conn, LA)
    clock = Clock(SEED_NOW.timestamp(), 240.0)
    for k in range(4):
        tick(engine, c, rng, SEED_NOW + timedelta(minutes=k), SEED_NOW + timedelta(minutes=k + 1),
             clock)
    middle = features[4]["geometry"]["coordinates"]
    lon = (middle[0][0][0] + middle[1][0][0]) / 2  # between the outer edge and the hole
    lat = (middle[0][0][1] + middle[0][2][1]) / 2
    text = "Огромная яма на ул. Ленина, 14, колёса пробиваем"
    lines = [
        json.dumps({"network": "vk", "author": "a", "text": text, "url": "https://vk.com/w1",
                    "posted_at": "2026-11-26T10:00:00+03:00", "lat": lat, "lon": lon},
                   ensure_ascii=False),
        json.dumps({"network": "vk", "author": "b", "text": text.replace("14", "3"),
                    "url": "https://vk.com/w2", "posted_at": "2026-11-26T10:05:00+03:00",
                    "lat": 10.0, "lon": 10.0}, ensure_ascii=False),
    ]
    outcomes = intake(engine, lines, now=SEED_NOW)
    assert [o.decision for o in outcomes] == ["ticket", "ticket"]

    with engine.connect() as conn:
        rows = conn.execute(select(tickets.c.external_id, tickets.c.lat, tickets.c.lon,
                                   districts.c.name)
                            .outerjoin(districts, districts.c.id == tickets.c.district_id)
                            .where(tickets.c.external_id.like("SIM-%")
                                   | tickets.c.external_id.like("SOC-%"))).all()
        count = conn.execute(select(func.count()).select_from(districts)).scalar_one()
    assert count == 9  # the demo's own districts were not made again
    simulated = [r for r in rows if r.external_id.startswith("SIM-")]
    assert len(simulated) > 10 and sum(r.name is not None for r in simulated) > len(simulated) / 2
    for r in rows:
        assert r.name == expected_district(features, r.lat, r.lon, None), r
    social = sorted((r.lat, r.name) for r in rows if r.external_id.startswith("SOC-"))
    assert social == sorted([(lat, "Ward 5"), (10.0, None)])


def test_districts_loaded_before_a_sync_place_every_synced_ticket(engine, db_url, features,
                                                                 export_names):
    from feeds.open311 import Open311
    from feeds.sync import Sync, feed_name
    from tests.open311_server import Open311Server, open311_records

    assert load(db_url) == 0
    server = Open311Server(open311_records(EXPORT), cap=200)
    with server.running():
        report = Sync(engine, Open311(server.url, backoff=0), feed_name(server.url)).run(
            datetime(2017, 12, 1, tzinfo=UTC))
    assert report.inserted == 1498
    check_every_ticket(engine, features, export_names)


def test_one_point_and_many_points_are_placed_alike(features):
    found = parse({"type": "FeatureCollection", "features": features}, "name")
    outlines = Outlines(range(1, len(found) + 1), [d.rings for d in found])
    rng = np.random.default_rng(26)
    lat = rng.uniform(33.70, 34.34, 600)
    lon = rng.uniform(-118.67, -118.15, 600)
    many = outlines.locate(lat, lon)
    assert [outlines.locate_one(a, b) for a, b in zip(lat, lon, strict=True)] == many.tolist()
    want = [next((i for i, f in enumerate(features, 1) if _holds(f["geometry"], b, a)), 0)
            for a, b in zip(lat, lon, strict=True)]
    assert many.tolist() == want
    assert (many != 0).sum() > 150
