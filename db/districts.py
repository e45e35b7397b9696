"""The city's own districts: outlines read from a GeoJSON file, and the district of each point.

`python -m db districts load FILE.geojson --name-field FIELD` replaces the districts with a
FeatureCollection's Polygons and MultiPolygons (as cities publish them) and gives every ticket with
a location the district whose outline holds it, in one transaction. From then on (the
`district_map` row says so) every writer of tickets (import, sync, intake, simulator) asks
`CityDistricts.place` for a new ticket's district: the outline that holds its point; outside every
outline, the district the source names if it is a loaded one; else none. Where outlines overlap,
the first feature of the file wins.

Inside is decided by the even-odd rule over every ring of a district (holes and separate parts
included), vectorised with numpy and filtered by each district's bounding box first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from tqdm import tqdm

from db.reference import slug
from db.schema import district_map, districts, tickets
from db.transactions import write_transaction

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_NAME = 200
UPDATE_CHUNK = 500


class DistrictFileError(ValueError):
    """A districts file that cannot be loaded: one line naming the feature and the reason."""


Ring = np.ndarray  # shape (n, 2): lon, lat; closed (first == last)


@dataclass(frozen=True)
class District:
    """One feature of the file: its names, its rings and what the pages need."""

    name: str
    name_ru: str | None
    rings: tuple[Ring, ...]  # every ring of every part; even-odd over all of them is "inside"
    outline: str  # the GeoJSON geometry, as stored for the maps
    lat: float  # a point for the label and the centre: the middle of the largest outer ring
    lon: float

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat)."""
        every = np.concatenate(self.rings)
        return (float(every[:, 0].min()), float(every[:, 1].min()),
                float(every[:, 0].max()), float(every[:, 1].max()))


def inside(rings: Sequence[Ring], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Which of the points lie inside the rings, by the even-odd rule (a ray towards +lon)."""
    odd = np.zeros(len(lon), dtype=bool)
    for ring in rings:
        x1, y1 = ring[:-1, 0], ring[:-1, 1]
        x2, y2 = ring[1:, 0], ring[1:, 1]
        for ax, ay, bx, by in zip(x1, y1, x2, y2, strict=True):
            if ay == by:
                continue
            crosses = (ay > lat) != (by > lat)
            if not crosses.any():
                continue
            at = ax + (lat - ay) * (bx - ax) / (by - ay)
            odd ^= crosses & (lon < at)
    return odd


class Outlines:
    """The loaded districts' outlines, ready to place many points at once."""

    def __init__(self, ids: Sequence[int], shapes: Sequence[Sequence[Ring]]) -> None:
        self.ids = list(ids)
        self.shapes = [list(rings) for rings in shapes]
        boxes = [np.concatenate(rings) for rings in self.shapes]
        self.boxes = np.array([(b[:, 0].min(), b[:, 1].min(), b[:, 0].max(), b[:, 1].max())
                               for b in boxes]) if boxes else np.zeros((0, 4))

    def locate_one(self, lat: float, lon: float) -> int:
        """`locate` for one point (what a writer asks for each new ticket)."""
        if not (math.isfinite(lat) and math.isfinite(lon)) or not self.ids:
            return 0
        b = self.boxes
        for k in np.flatnonzero((b[:, 0] <= lon) & (lon <= b[:, 2])
                                & (b[:, 1] <= lat) & (lat <= b[:, 3])):
            if holds(self.shapes[k], lon, lat):
                return self.ids[k]
        return 0

    def locate(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """The district id whose outline holds each point (the first, in load order), else 0.
        Points with a missing coordinate (NaN) get 0."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        found = np.zeros(len(lat), dtype=np.int64)
        known = np.isfinite(lat) & np.isfinite(lon)
        for id_, rings, (x0, y0, x1, y1) in zip(self.ids, self.shapes, self.boxes, strict=True):
            candidates = np.flatnonzero(known & (found == 0) & (lon >= x0) & (lon <= x1)
                                        & (lat >= y0) & (lat <= y1))
            if len(candidates):
                hit = inside(rings, lon[candidates], lat[candidates])
                found[candidates[hit]] = id_
        return found


def holds(rings: Sequence[Ring], lon: float, lat: float) -> bool:
    """Whether one point lies inside the rings, by the even-odd rule: `inside` for a single
    point, vectorised over the edges instead of over the points."""
    odd = False
    for ring in rings:
        x1, y1, x2, y2 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
        crosses = (y1 > lat) != (y2 > lat)
        if crosses.any():
            x1, y1, x2, y2 = x1[crosses], y1[crosses], x2[crosses], y2[crosses]
            at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            odd ^= bool(np.count_nonzero(lon < at) % 2)
    return odd


class CityDistricts:
    """What a writer of tickets needs to place a new ticket: None from `read` when the city has
    not loaded its own districts (then a source's district names are kept, created as before)."""

    def __init__(self, outlines: Outlines, names: dict[str, int]) -> None:
        self.outlines = outlines
        self.names = names  # every code, name and Russian name, folded: the district's id
        self.loaded = set(names.values())

    @classmethod
    def read(cls, conn: Connection) -> CityDistricts | None:
        """The loaded districts, or None when no districts file was loaded."""
        if conn.execute(select(func.count()).select_from(district_map)).scalar_one() == 0:
            return None
        rows = conn.execute(select(districts.c.id, districts.c.code, districts.c.name,
                                   districts.c.name_ru, districts.c.outline)
                            .order_by(districts.c.id)).all()
        ids, shapes, names = [], [], {}
        for row in rows:
            for key in (row.code, row.name, row.name_ru):
                if key:
                    names.setdefault(key.strip().casefold(), row.id)
            if row.outline:
                ids.append(row.id)
                shapes.append(rings_of(json.loads(row.outline)))
        return cls(Outlines(ids, shapes), names)

    def place(self, name: str | None, lat: float | None, lon: float | None,
              kept: int | None = None) -> int | None:
        """A ticket's district: the outline holding (lat, lon); else the loaded district `name`
        names; else `kept` (what the ticket had, when the source names none) if still loaded."""
        if lat is not None and lon is not None:
            found = self.outlines.locate_one(lat, lon)
            if found:
                return found
        if name:
            return self.names.get(name.strip().casefold())
        return kept if kept in self.loaded else None


def rings_of(geometry: dict) -> list[Ring]:
    """Every ring of a (valid) Polygon or MultiPolygon geometry, as arrays of (lon, lat)."""
    parts = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
             else geometry["coordinates"])
    return [np.array([p[:2] for p in ring], dtype=float) for part in parts for ring in part]


# ------------------------------------------------------------------------------------------------
# Reading a file: refused whole at the first feature that cannot be used.

def read_file(path: str | Path, name_field: str, name_ru_field: str | None = None
              ) -> list[District]:
    """The districts of a GeoJSON FeatureCollection file; DistrictFileError names what is wrong."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise DistrictFileError(f"{path}: cannot read it ({error.strerror or error})") from None
    if size > MAX_FILE_BYTES:
        raise DistrictFileError(f"{path}: {size:,} bytes; a districts file may have at most "
                                f"{MAX_FILE_BYTES:,}")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))  # a BOM, as Windows writes
    except OSError as error:
        raise DistrictFileError(f"{path}: cannot read it ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise DistrictFileError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise DistrictFileError(f"{path}: not JSON (line {error.lineno}, column {error.colno}: "
                                f"{error.msg})") from None
    return parse(data, name_field, name_ru_field, str(path))


def parse(data: object, name_field: str, name_ru_field: str | None = None,
          where: str = "the file") -> list[District]:
    """The districts of a parsed GeoJSON document (see `read_file`)."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DistrictFileError(f"{where}: not a GeoJSON FeatureCollection (its \"type\" is "
                                f"{_shown(data.get('type') if isinstance(data, dict) else data)})")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise DistrictFileError(f"{where}: the FeatureCollection has no features")
    found: list[District] = []
    seen: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        district = _feature(feature, number, name_field, name_ru_field)
        key = district.name.casefold()
        if key in seen:
            raise DistrictFileError(f"feature {number} ({district.name!r}): the same name as "
                                    f"feature {seen[key]}; each district needs its own")
        seen[key] = number
        found.append(district)
    return found


def _shown(value: object) -> str:
    text_ = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text_ if len(text_) <= 40 else text_[:37] + "..."


def _feature(feature: object, number: int, name_field: str,
             name_ru_field: str | None) -> District:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise DistrictFileError(f"feature {number}: not a GeoJSON Feature")
    properties = feature.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    if name_field not in properties:
        have = ", ".join(sorted(map(str, properties))[:12]) or "none"
        raise DistrictFileError(f"feature {number}: no property {name_field!r} (it has: {have})")
    name = _name(properties[name_field], number, name_field)
    label = f"feature {number} ({name!r})"
    name_ru = None
    if name_ru_field:
        if name_ru_field not in properties:
            raise DistrictFileError(f"{label}: no property {name_ru_field!r}")
        name_ru = _name(properties[name_ru_field], number, name_ru_field)
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else geometry
        raise DistrictFileError(f"{label}: its geometry is {_shown(kind)}, not a Polygon or "
                                "MultiPolygon")
    coordinates = geometry.get("coordinates")
    parts = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(parts, list) or not parts:
        raise DistrictFileError(f"{label}: its geometry has no coordinates")
    rings: list[Ring] = []
    clean_parts = []
    for p, part in enumerate(parts, start=1):
        if not isinstance(part, list) or not part:
            raise DistrictFileError(f"{label}: polygon {p} has no rings")
        clean_rings = []
        for r, ring in enumerate(part, start=1):
            array = _ring(ring, f"{label}: polygon {p}, ring {r}")
            rings.append(array)
            clean_rings.append(array.tolist())
        clean_parts.append(clean_rings)
    outline = {"type": "MultiPolygon", "coordinates": clean_parts} if len(clean_parts) > 1 \
        else {"type": "Polygon", "coordinates": clean_parts[0]}
    outer = max((part[0] for part in clean_parts), key=lambda ring: abs(_area(ring)))
    lon, lat = _centroid(outer)
    return District(name, name_ru, tuple(rings), json.dumps(outline, separators=(",", ":")),
                    lat, lon)


def _name(value: object, number: int, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DistrictFileError(f"feature {number}: its {field!r} is {_shown(value)}, not a name")
    name = " ".join(str(value).split())
    if not name:
        raise DistrictFileError(f"feature {number}: its {field!r} is empty")
    if len(name) > MAX_NAME:
        raise DistrictFileError(f"feature {number}: its {field!r} is {len(name)} characters "
                                f"long; at most {MAX_NAME}")
    return name


def _ring(ring: object, where: str) -> Ring:
    """A ring as an array, or DistrictFileError: at least four positions of finite longitude
    and latitude within range, closed (the last equal to the first), enclosing some area."""
    if not isinstance(ring, list):
        raise DistrictFileError(f"{where}: not a list of positions")
    points = []
    for i, position in enumerate(ring, start=1):
        if (not isinstance(position, list) or len(position) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool)
                           for v in position[:2])):
            raise DistrictFileError(f"{where}: position {i} is {_shown(position)}, not "
                                    "[longitude, latitude]")
        lon, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lon) and math.isfinite(lat)
                and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise DistrictFileError(f"{where}: position {i} ({position[0]}, {position[1]}) is "
                                    "not a longitude and latitude")
        points.append((lon, lat))
    if len(points) < 4:
        raise DistrictFileError(f"{where}: {len(points)} positions; a ring needs at least 4")
    if points[0] != points[-1]:
        raise DistrictFileError(f"{where}: not closed (its last position is not its first)")
    if _area(points) == 0:
        raise DistrictFileError(f"{where}: encloses no area")
    return np.array(points, dtype=float)


def _area(ring: Sequence[Sequence[float]]) -> float:
    """The signed area of a closed ring (shoelace), in square degrees."""
    return 0.5 * sum(x1 * y2 - x2 * y1
                     for (x1, y1), (x2, y2) in pairwise(ring))


def _centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float]:
    """The centroid of a closed ring (lon, lat)."""
    area = _area(ring)
    cx = sum((x1 + x2) * (x1 * y2 - x2 * y1)
             for (x1, y1), (x2, y2) in pairwise(ring))
    cy = sum((y1 + y2) * (x1 * y2 - x2 * y1)
             for (x1, y1), (x2, y2) in pairwise(ring))
    return cx / (6 * area), cy / (6 * area)


# ------------------------------------------------------------------------------------------------
# Loading: the districts replaced and every ticket placed, in one transaction.

@dataclass(frozen=True)
class LoadReport:
    """What a load did."""

    districts: int
    added: int
    removed: int
    tickets_placed: int  # tickets whose district is now an outline's
    tickets_named: int  # outside every outline (or without a location), kept a loaded name
    tickets_none: int  # left without a district
    tickets_changed: int

    def summary(self) -> str:
        return (f"loaded {self.districts} districts ({self.added} new, {self.removed} removed); "
                f"tickets: {self.tickets_placed:,} inside an outline, {self.tickets_named:,} "
                f"kept a loaded district's name, {self.tickets_none:,} without a district; "
                f"{self.tickets_changed:,} changed")


def load(engine: Engine, found: Sequence[District], source: str,
         progress: bool = False) -> LoadReport:
    """Replace the districts with `found` and place every ticket, in one transaction.

    A district already stored under one of the names (code, name or Russian name, any case)
    keeps its id and takes the new outline; the others are removed once no ticket is left in
    them. A ticket with a location takes the outline that holds it; outside every outline, or
    without a location, it keeps its district if that is a loaded one, else it has none.
    """
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":  # writers of tickets wait; nobody deadlocks
            conn.execute(text("LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE"))
        ids, added = _store_districts(conn, found)
        outlines = Outlines(ids, [d.rings for d in found])
        rows = conn.execute(select(tickets.c.id, tickets.c.lat, tickets.c.lon,
                                   tickets.c.district_id).order_by(tickets.c.id)).all()
        if rows:
            ticket_ids = np.array([r.id for r in rows], dtype=np.int64)
            lat = np.array([r.lat if r.lat is not None else np.nan for r in rows], dtype=float)
            lon = np.array([r.lon if r.lon is not None else np.nan for r in rows], dtype=float)
            old = np.array([r.district_id or 0 for r in rows], dtype=np.int64)
        else:
            ticket_ids = old = np.zeros(0, dtype=np.int64)
            lat = lon = np.zeros(0)
        placed = outlines.locate(lat, lon)
        kept = np.where(np.isin(old, np.array(ids, dtype=np.int64)), old, 0)
        new = np.where(placed != 0, placed, kept)
        changed = np.flatnonzero(new != old)
        by_district: dict[int, list[int]] = {}
        for i in changed:
            by_district.setdefault(int(new[i]), []).append(int(ticket_ids[i]))
        bar = tqdm(total=len(changed), desc="placing tickets", unit="ticket", disable=not progress)
        for district_id, members in sorted(by_district.items()):
            for start in range(0, len(members), UPDATE_CHUNK):
                chunk = members[start:start + UPDATE_CHUNK]
                conn.execute(update(tickets).where(tickets.c.id.in_(chunk))
                             .values(district_id=district_id or None,
                                     version=tickets.c.version + 1))
                bar.update(len(chunk))
        bar.close()
        removed = conn.execute(delete(districts).where(districts.c.id.not_in(ids))).rowcount
        conn.execute(delete(district_map))
        conn.execute(insert(district_map).values(
            id=1, source=source[-300:], districts=len(found), loaded_at=datetime.now(UTC)))
    return LoadReport(len(found), added, removed, int((placed != 0).sum()),
                      int(((placed == 0) & (kept != 0)).sum()), int((new == 0).sum()),
                      len(changed))


def _store_districts(conn: Connection, found: Sequence[District]) -> tuple[list[int], int]:
    """Each district's id, in file order, updating the stored one of the same name or adding
    it; and how many were added."""
    rows = conn.execute(select(districts.c.id, districts.c.code, districts.c.name,
                               districts.c.name_ru).order_by(districts.c.id)).all()
    by_key: dict[str, int] = {}
    for row in rows:
        for key in (row.code, row.name, row.name_ru):
            if key:
                by_key.setdefault(key.strip().casefold(), row.id)
    codes = {row.code for row in rows}
    ids: list[int] = []
    added = 0
    for d in found:
        id_ = by_key.get(d.name.casefold()) or (by_key.get(d.name_ru.casefold())
                                                if d.name_ru else None)
        values = {"name": d.name, "name_ru": d.name_ru, "outline": d.outline,
                  "lat": round(d.lat, 6), "lon": round(d.lon, 6)}
        if id_ is not None and id_ not in ids:
            conn.execute(update(districts).where(districts.c.id == id_).values(**values))
        else:
            code, n = slug(d.name), 1
            while code in codes:
                n += 1
                code = f"{slug(d.name)[:58]}_{n}"
            codes.add(code)
            id_ = conn.execute(insert(districts).values(code=code, **values)
                               .returning(districts.c.id)).scalar_one()
            added += 1
        ids.append(id_)
    return ids, added
