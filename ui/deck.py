"""The city heat map as a pydeck Deck: built from data alone, so it can be tested without a page.

With no internet the districts' outlines from our own data are the basemap; a street basemap is
used only when one is configured.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.data_utils import compute_view

from queries.incidents import Incident
from queries.map_points import MapData
from ui.i18n import name_of
from ui.text import inert
from words.formatting import duration
from words.language import translate

OVERDUE = [214, 39, 40, 220]
# The meeting screen's markers, read from five metres: overdue tickets as big bright red discs
# ringed in white, drawn over small amber dots for the rest of the open work (pixels at 1920).
WALL_OVERDUE, WALL_RING, WALL_OPEN = [255, 59, 48, 255], [255, 255, 255, 255], [255, 181, 71, 200]
WALL_OVERDUE_PX, WALL_OPEN_PX = 11, 4
OPEN = [255, 140, 0, 210]
DONE = [120, 120, 120, 150]
CELL = [200, 30, 30, 160]
# Each layer ships only what it draws or shows (the payload is sent to every browser).
POINT_FIELDS = ["lon", "lat", "color", "external_id", "address", "category_text",
                "department_text", "age_text", "status_text"]
CELL_FIELDS = ["lon", "lat", "row", "col", "count", "tip"]
TOOLTIP_FIELDS = ["external_id", "address", "category_text", "department_text", "status_text"]
# District names on a page's map (pixels); how far in from the edges a framed ticket is drawn;
# and how close a framed view may come (street scale).
NAME_SIZE, TICKET_MARGIN, MAX_ZOOM = 13, (30, 30), 13


PHONE_WIDTH = 358  # a 390-pixel phone's page, less its margins


def fitted_size(size: tuple[int, int], user_agent: str) -> tuple[int, int]:
    """The size a map frames its tickets for: `size`, narrowed to a phone's width when the
    browser says it is a phone ("Mobi" in its user agent, as browsers mark themselves; the
    server never learns the window's width, and a frame too wide would cut the city's east)."""
    if "Mobi" not in user_agent or size[0] <= PHONE_WIDTH:
        return size
    return PHONE_WIDTH, size[1]


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


def label_points(districts: pd.DataFrame) -> pd.DataFrame:
    """Where each district's name goes (`lat`, `lon`), in the districts' order."""
    at = [label_point(row.get("outline"), row["lat"], row["lon"])
          for row in districts.to_dict("records")]
    return pd.DataFrame({"lat": [lat for lat, _ in at], "lon": [lon for _, lon in at]},
                        index=districts.index)


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def on_screen(lat: float, lon: float, view: pdk.ViewState, width: int,
              height: int) -> tuple[float, float]:
    """Where a `width` × `height` map showing `view` draws a point: pixels from its top left."""
    scale = 512 * 2 ** view.zoom / (2 * math.pi)
    return (width / 2 + math.radians(lon - view.longitude) * scale,
            height / 2 - (_mercator_y(lat) - _mercator_y(view.latitude)) * scale)


def text_box(text: str, size: int) -> tuple[float, float]:
    """About how many pixels wide and high a TextLayer draws `text` at `size`: a sans-serif
    letter is about 0.7 of the size wide in bold (Cyrillic ones the widest); lines are 1.1 apart."""
    lines = text.split("\n")
    return max(len(line) for line in lines) * 0.7 * size, len(lines) * 1.1 * size


def readable_names(names: list[dict], points: pd.DataFrame, view: pdk.ViewState,
                   size: tuple[int, int], font_size: int) -> list[dict]:
    """The district names (`name`, `lat`, `lon`) a map of `size` pixels can show whole and
    apart: each is kept unless it would cross an edge or touch a name already kept, taking the
    names by how many of the `points` (weighted by `count` where cells) lie nearest them."""
    if not names:
        return []
    at = np.array([[n["lat"], n["lon"]] for n in names])
    busy = np.zeros(len(names))
    if len(points):
        squeeze = math.cos(math.radians(float(at[:, 0].mean())))  # a degree east is shorter
        near = ((points["lat"].to_numpy()[:, None] - at[None, :, 0]) ** 2
                + ((points["lon"].to_numpy()[:, None] - at[None, :, 1]) * squeeze) ** 2)
        weights = points["count"].to_numpy() if "count" in points else None
        busy = np.bincount(near.argmin(axis=1), weights, minlength=len(names))
    kept: list[dict] = []
    boxes: list[tuple[float, float, float, float]] = []
    for i in sorted(range(len(names)), key=lambda i: -busy[i]):
        x, y = on_screen(names[i]["lat"], names[i]["lon"], view, *size)
        w, h = text_box(names[i]["name"], font_size)
        box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        whole = box[0] >= 0 and box[1] >= 0 and box[2] <= size[0] and box[3] <= size[1]
        if whole and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                             for b in boxes):
            kept.append(names[i])
            boxes.append(box)
    return kept


def fit_view(points: pd.DataFrame, width: int, height: int,
             margin: tuple[float, float]) -> pdk.ViewState:
    """The closest view of a `width` × `height` pixel map that keeps every point (`lat`, `lon`)
    at least `margin` (x, y) pixels inside its edges, in the Web Mercator projection deck.gl
    draws (the world is 512 pixels wide at zoom 0)."""
    west, east = points["lon"].min(), points["lon"].max()
    south, north = _mercator_y(points["lat"].min()), _mercator_y(points["lat"].max())
    across = max(math.radians(east - west), 1e-9)
    down = max(north - south, 1e-9)
    room = min((width - 2 * margin[0]) / across, (height - 2 * margin[1]) / down)
    middle = math.degrees(2 * math.atan(math.exp((north + south) / 2)) - math.pi / 2)
    return pdk.ViewState(latitude=middle, longitude=(west + east) / 2,
                         zoom=min(math.log2(room * 2 * math.pi / 512), 15))


def ticket_view(frame: pd.DataFrame, size: tuple[int, int]) -> pdk.ViewState | None:
    """A map of `size` pixels as close as it can be with its tickets on it (all but the
    farthest 2% each way), at most at street scale; none with too few tickets to frame."""
    if len(frame) < 3:
        return None
    far = len(frame) // 50  # how many tickets are the farthest 2% each way
    lat, lon = np.sort(frame["lat"].to_numpy()), np.sort(frame["lon"].to_numpy())
    core = frame[frame["lat"].between(lat[far], lat[-1 - far])
                 & frame["lon"].between(lon[far], lon[-1 - far])]
    view = fit_view(core if len(core) >= 3 else frame, *size, margin=TICKET_MARGIN)
    return pdk.ViewState(latitude=view.latitude, longitude=view.longitude,
                         zoom=min(view.zoom, MAX_ZOOM))


def names_view(labels: pd.DataFrame, size: tuple[int, int],
               font_size: int) -> pdk.ViewState | None:
    """A map of `size` pixels as close as it can be with every district's name (`labels`:
    `name`, `lat`, `lon`) whole on it; none with fewer than three districts to frame."""
    if len(labels) < 3:
        return None
    boxes = [text_box(name, font_size) for name in labels["name"]]
    margin = (max(w for w, _ in boxes) / 2 + 4, max(h for _, h in boxes) / 2 + 4)
    return fit_view(labels, *size, margin=margin)


def _districts_layers(districts: pd.DataFrame, lang: str, dark: bool,
                      name_size: int) -> tuple[pdk.Layer, pdk.Layer]:
    """The outlines (drawn first, as the basemap) and the names (drawn last, over the heat)."""
    features = [
        {"type": "Feature", "geometry": json.loads(row["outline"]),
         "properties": {"name": name_of(row, lang)}}
        for _, row in districts.iterrows() if isinstance(row.get("outline"), str) and row["outline"]
    ]
    labels = label_points(districts).assign(
        name=[two_lines(name_of(row, lang)) for row in districts.to_dict("records")]).dropna()
    line = [200, 200, 200, 160] if dark else [60, 60, 60, 140]
    fill = [40, 44, 52, 255] if dark else [236, 236, 230, 255]
    text = [230, 230, 230, 255] if dark else [40, 40, 40, 255]
    return (
        pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features},
                  id="districts", stroked=True, filled=True, get_fill_color=fill,
                  get_line_color=line, line_width_min_pixels=1, pickable=False),
        pdk.Layer("TextLayer", labels, id="district-names", get_position=["lon", "lat"],
                  get_text="name", get_size=name_size, get_color=text,
                  get_alignment_baseline="'center'",
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
    frame["age_text"] = [translate(lang, "map.age", d=duration(s, lang)) for s in frame["age_s"]]
    frame["address"] = frame["address"].fillna("")
    for field in TOOLTIP_FIELDS:  # the tooltip is HTML: outside text must stay text
        frame[field] = [html.escape(str(v)) for v in frame[field]]
    return frame


def incident_layers(incidents: Sequence[Incident], dark: bool = False) -> list[pdk.Layer]:
    """A red ring round each incident's centre with its number of reports; none without
    incidents. Not pickable: the tooltip belongs to the tickets under them."""
    if not incidents:
        return []
    rings = pd.DataFrame({"lon": [i.long for i in incidents], "lat": [i.lat for i in incidents],
                          "label": [str(i.size) for i in incidents]})
    return [
        pdk.Layer("ScatterplotLayer", rings, id="incidents", get_position=["lon", "lat"],
                  get_radius=250, radius_min_pixels=16, stroked=True, filled=False,
                  get_line_color=[230, 0, 0, 255], line_width_min_pixels=4, pickable=False),
        pdk.Layer("TextLayer", rings, id="incident-counts", get_position=["lon", "lat"],
                  get_text="label", get_size=16, get_color=[255, 255, 255, 255] if dark
                  else [150, 0, 0, 255], font_weight=800, get_pixel_offset=[0, -26],
                  character_set="'auto'", font_family="'DejaVu Sans, Arial, sans-serif'"),
    ]


def build_deck(data: MapData, districts: pd.DataFrame, lang: str, basemap: str | None = None,
               dark: bool = False, size: tuple[int, int] | None = None,
               name_size: int = NAME_SIZE, view: pdk.ViewState | None = None,
               incidents: Sequence[Incident] = (), big_points: bool = False) -> pdk.Deck:
    """Districts, a heat layer, and pickable points (or cells when there are too many), and a
    ring round each of the `incidents`.

    Given the map's `size` in pixels, the view (unless one is given) frames every district's
    name whole, and only the names that fit whole and apart are drawn; otherwise the view fits
    the districts' centres or the tickets. `big_points` (the meeting screen) draws open tickets
    as markers alone, overdue ones big on top, with no heat, no tooltip and only their places
    in the payload."""
    outlines, names = ((None, None) if basemap
                       else _districts_layers(districts, lang, dark, name_size))
    if view is None and size is not None and names is not None:
        view = names_view(pd.DataFrame(names.data), size, name_size)
    if view is None:
        view = _view(data, districts)
    if size is not None and names is not None:
        names.data = readable_names(names.data, data.frame, view, size, name_size)
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
    elif big_points:
        layers += _big_points(data.frame)
        tooltip = False
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
    layers += incident_layers(incidents, dark) + ([] if names is None else [names])
    for layer in layers:  # no outside string may read as a deck.gl expression
        layer.data = inert(layer.data)
    return pdk.Deck(layers=layers, initial_view_state=view, tooltip=tooltip,
                    **basemap_args(basemap))


def basemap_args(basemap: str | None) -> dict:
    """The deck's base map: the configured street style, or none at all. With no style given,
    pydeck writes its placeholder, which tells Streamlit to draw no base map; an absent style
    would make Streamlit fetch a street map from the internet and start a second WebGL map
    under ours (2 s of the browser's time per map where there is no graphics card)."""
    return {"map_style": basemap, "map_provider": "carto"} if basemap else {"map_provider": None}


def _big_points(frame: pd.DataFrame) -> list[pdk.Layer]:
    """Open tickets as amber dots and overdue ones as big red discs over them; each layer ships
    only the places it draws."""
    places = frame.round({"lat": 5, "lon": 5})
    late = places["past_due"].astype(bool) if len(places) else pd.Series(dtype=bool)
    return [
        pdk.Layer("ScatterplotLayer", places.loc[~late, ["lon", "lat"]], id="open",
                  get_position=["lon", "lat"], get_fill_color=WALL_OPEN, get_radius=1,
                  radius_min_pixels=WALL_OPEN_PX, radius_max_pixels=WALL_OPEN_PX),
        pdk.Layer("ScatterplotLayer", places.loc[late, ["lon", "lat"]], id="overdue",
                  get_position=["lon", "lat"], get_fill_color=WALL_OVERDUE,
                  get_line_color=WALL_RING, stroked=True, line_width_min_pixels=2,
                  get_radius=1, radius_min_pixels=WALL_OVERDUE_PX,
                  radius_max_pixels=WALL_OVERDUE_PX),
    ]


def _view(data: MapData, districts: pd.DataFrame) -> pdk.ViewState:
    """Fit the city: the districts' centres, else the central 95% of the points."""
    source = districts if districts["lat"].notna().sum() >= 3 else data.frame
    points = source.dropna(subset=["lat", "lon"])[["lon", "lat"]] if len(source) else source
    if len(points) == 0:
        return pdk.ViewState(latitude=0.0, longitude=0.0, zoom=1)
    view = compute_view(points.values.tolist(), view_proportion=0.95)
    return pdk.ViewState(latitude=view.latitude, longitude=view.longitude,
                         zoom=min(view.zoom + 0.5, 15))


def payload_bytes(deck: pdk.Deck) -> int:
    """How much the browser receives for this map."""
    return len(deck.to_json().encode())
