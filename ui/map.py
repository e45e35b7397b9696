"""The city heat map as a pydeck Deck: built from data alone, so it can be tested without a page.

With no internet the districts' outlines from our own data are the basemap; a street basemap is
used only when one is configured.
"""

from __future__ import annotations

import json

import pandas as pd
import pydeck as pdk
from pydeck.data_utils import compute_view

from queries.map import MapData
from ui.format import duration
from ui.i18n import name_of, translate

OVERDUE = [214, 39, 40, 220]
OPEN = [255, 140, 0, 210]
DONE = [120, 120, 120, 150]
CELL = [200, 30, 30, 160]
# Each layer ships only what it draws or shows (the payload is sent to every browser).
POINT_FIELDS = ["lon", "lat", "color", "external_id", "address", "category_text",
                "department_text", "age_text", "status_text"]
CELL_FIELDS = ["lon", "lat", "row", "col", "count", "tip"]


def two_lines(name: str, longer_than: int = 10) -> str:
    """A long name on two lines, broken at the space nearest its middle, so that the labels of
    neighbouring districts do not run into each other."""
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    if len(name) <= longer_than or not spaces:
        return name
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return name[:cut] + "\n" + name[cut + 1:]


def label_point(outline: str | None, lat: float, lon: float) -> tuple[float, float]:
    """Where a district's name goes: the centroid of its outline's largest ring (the middle of
    what is drawn), else its centre."""
    if not isinstance(outline, str) or not outline:
        return lat, lon
    shape = json.loads(outline)
    polygons = shape["coordinates"] if shape["type"] == "MultiPolygon" else [shape["coordinates"]]
    best = (0.0, lat, lon)
    for polygon in polygons:
        ring = polygon[0]
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if area and abs(area) / 2 > best[0]:
            best = (abs(area) / 2, cy / (3 * area), cx / (3 * area))
    return best[1], best[2]


def _districts_layers(districts: pd.DataFrame, lang: str,
                      dark: bool) -> tuple[pdk.Layer, pdk.Layer]:
    """The outlines (drawn first, as the basemap) and the names (drawn last, over the heat)."""
    features = [
        {"type": "Feature", "geometry": json.loads(row["outline"]),
         "properties": {"name": name_of(row, lang)}}
        for _, row in districts.iterrows() if isinstance(row.get("outline"), str) and row["outline"]
    ]
    rows = districts.to_dict("records")
    at = [label_point(row.get("outline"), row["lat"], row["lon"]) for row in rows]
    labels = pd.DataFrame({
        "name": [two_lines(name_of(row, lang)) for row in rows],
        "lat": [lat for lat, _ in at], "lon": [lon for _, lon in at],
    }).dropna()
    line = [200, 200, 200, 160] if dark else [60, 60, 60, 140]
    fill = [40, 44, 52, 255] if dark else [236, 236, 230, 255]
    text = [230, 230, 230, 255] if dark else [40, 40, 40, 255]
    return (
        pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features},
                  id="districts", stroked=True, filled=True, get_fill_color=fill,
                  get_line_color=line, line_width_min_pixels=1, pickable=False),
        pdk.Layer("TextLayer", labels, id="district-names", get_position=["lon", "lat"],
                  get_text="name", get_size=13, get_color=text, get_alignment_baseline="'center'",
                  # pydeck reads bare strings as accessors: constants must be quoted
                  character_set="'auto'", font_family="'DejaVu Sans, Arial, sans-serif'",
                  font_weight=600, font_settings={"sdf": True}, outline_width=3,
                  outline_color=fill, line_height=1.1),
    )


def point_records(data: MapData, lang: str) -> pd.DataFrame:
    """The points with their colour and the text their tooltip shows, in the language."""
    frame = data.frame.copy()
    if frame.empty:
        return frame
    open_ = frame["status"].isin(["new", "in_progress"])
    frame["color"] = [
        OVERDUE if (o and late) else OPEN if o else DONE
        for o, late in zip(open_, frame["past_due"], strict=True)
    ]
    frame["category_text"] = [name_of(r, lang, "category") for r in frame.to_dict("records")]
    frame["department_text"] = [name_of(r, lang, "department") for r in frame.to_dict("records")]
    frame["status_text"] = [translate(lang, f"status.{s}") for s in frame["status"]]
    frame["age_text"] = [duration(s, lang) for s in frame["age_s"]]
    frame["address"] = frame["address"].fillna("")
    return frame


def build_deck(data: MapData, districts: pd.DataFrame, lang: str, basemap: str | None = None,
               dark: bool = False, center: tuple[float, float] | None = None,
               zoom: float | None = None) -> pdk.Deck:
    """Districts, a heat layer, and pickable points (or cells when there are too many)."""
    outlines, names = (None, None) if basemap else _districts_layers(districts, lang, dark)
    layers = [] if outlines is None else [outlines]
    if data.cells:
        cells = data.frame.round({"lat": 6, "lon": 6})
        cells["tip"] = [translate(lang, "map.cell", n=int(n)) for n in cells["count"]]
        layers += [
            pdk.Layer("HeatmapLayer", cells[["lon", "lat", "count"]], id="heat",
                      get_position=["lon", "lat"], get_weight="count", radius_pixels=40,
                      opacity=0.7),
            pdk.Layer("ScatterplotLayer", cells[CELL_FIELDS], id="cells",
                      get_position=["lon", "lat"],
                      get_radius=(data.cell_deg or 0.002) * 111_000 / 2, get_fill_color=CELL,
                      opacity=0.05, pickable=True, auto_highlight=True),
        ]
        tooltip = {"text": "{tip}"}
    else:
        points = point_records(data, lang)
        layers += [
            pdk.Layer("HeatmapLayer", points.reindex(columns=["lon", "lat"]), id="heat",
                      get_position=["lon", "lat"], radius_pixels=35, opacity=0.55),
            pdk.Layer("ScatterplotLayer", points.reindex(columns=POINT_FIELDS), id="tickets",
                      get_position=["lon", "lat"],
                      get_fill_color="color", get_radius=18, radius_min_pixels=2,
                      radius_max_pixels=12, pickable=True, auto_highlight=True),
        ]
        tooltip = {"html": "<b>{category_text}</b><br/>{address}<br/>{department_text}"
                           "<br/>{age_text} · {status_text}<br/><small>{external_id}</small>"}
    return pdk.Deck(
        layers=layers + ([] if names is None else [names]),
        initial_view_state=_view(data, districts, center, zoom),
        map_style=basemap,
        map_provider="carto" if basemap else None,
        tooltip=tooltip,
    )


def _view(data: MapData, districts: pd.DataFrame, center: tuple[float, float] | None,
          zoom: float | None) -> pdk.ViewState:
    """Fit the city: the districts' centres, else the central 95% of the points."""
    if center is not None and zoom is not None:
        return pdk.ViewState(latitude=center[0], longitude=center[1], zoom=zoom)
    source = districts if districts["lat"].notna().sum() >= 3 else data.frame
    points = source.dropna(subset=["lat", "lon"])[["lon", "lat"]] if len(source) else source
    if len(points) == 0:
        return pdk.ViewState(latitude=0.0, longitude=0.0, zoom=1)
    view = compute_view(points.values.tolist(), view_proportion=0.95)
    return pdk.ViewState(latitude=view.latitude, longitude=view.longitude,
                         zoom=min(view.zoom + 0.5, 15) if zoom is None else zoom)


def payload_bytes(deck: pdk.Deck) -> int:
    """How much the browser receives for this map."""
    return len(deck.to_json().encode())
