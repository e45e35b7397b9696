"""The city heat map as a pydeck Deck: built from data alone, so it can be tested without a page.

With no internet the districts' outlines from our own data are the basemap; a street basemap is
used only when one is configured.
"""

from __future__ import annotations

import json

import pandas as pd
import pydeck as pdk

from queries.map import MapData
from ui.format import duration
from ui.i18n import name_of, translate

OVERDUE = [214, 39, 40, 220]
OPEN = [255, 140, 0, 210]
DONE = [120, 120, 120, 150]
CELL = [200, 30, 30, 160]


def _districts_layers(districts: pd.DataFrame, lang: str, dark: bool) -> list[pdk.Layer]:
    features = [
        {"type": "Feature", "geometry": json.loads(row["outline"]),
         "properties": {"name": name_of(row, lang)}}
        for _, row in districts.iterrows() if isinstance(row.get("outline"), str) and row["outline"]
    ]
    labels = pd.DataFrame({
        "name": [name_of(row, lang) for _, row in districts.iterrows()],
        "lat": districts["lat"], "lon": districts["lon"],
    }).dropna()
    line = [200, 200, 200, 160] if dark else [60, 60, 60, 140]
    fill = [40, 44, 52, 255] if dark else [236, 236, 230, 255]
    text = [230, 230, 230, 255] if dark else [40, 40, 40, 255]
    return [
        pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features},
                  id="districts", stroked=True, filled=True, get_fill_color=fill,
                  get_line_color=line, line_width_min_pixels=1, pickable=False),
        pdk.Layer("TextLayer", labels, id="district-names", get_position=["lon", "lat"],
                  get_text="name", get_size=13, get_color=text, get_alignment_baseline="'center'",
                  # pydeck reads bare strings as accessors: constants must be quoted
                  character_set="'auto'", font_family="'DejaVu Sans, Arial, sans-serif'",
                  font_weight=600, outline_width=2, outline_color=fill),
    ]


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
               zoom: float = 11.2) -> pdk.Deck:
    """Districts, a heat layer, and pickable points (or cells when there are too many)."""
    layers = [] if basemap else _districts_layers(districts, lang, dark)
    if data.cells:
        cells = data.frame.copy()
        cells["tip"] = [translate(lang, "map.cell", n=int(n)) for n in cells["count"]]
        layers += [
            pdk.Layer("HeatmapLayer", cells, id="heat", get_position=["lon", "lat"],
                      get_weight="count", radius_pixels=40, opacity=0.7),
            pdk.Layer("ScatterplotLayer", cells, id="cells", get_position=["lon", "lat"],
                      get_radius=(data.cell_deg or 0.002) * 111_000 / 2, get_fill_color=CELL,
                      opacity=0.05, pickable=True, auto_highlight=True),
        ]
        tooltip = {"text": "{tip}"}
    else:
        points = point_records(data, lang)
        layers += [
            pdk.Layer("HeatmapLayer", points, id="heat", get_position=["lon", "lat"],
                      radius_pixels=35, opacity=0.55),
            pdk.Layer("ScatterplotLayer", points, id="tickets", get_position=["lon", "lat"],
                      get_fill_color="color", get_radius=18, radius_min_pixels=2,
                      radius_max_pixels=12, pickable=True, auto_highlight=True),
        ]
        tooltip = {"html": "<b>{category_text}</b><br/>{address}<br/>{department_text}"
                           "<br/>{age_text} · {status_text}<br/><small>{external_id}</small>"}
    lat, lon = center or _centre(data, districts)
    return pdk.Deck(
        layers=layers,
        initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom, pitch=0),
        map_style=basemap,
        map_provider="carto" if basemap else None,
        tooltip=tooltip,
    )


def _centre(data: MapData, districts: pd.DataFrame) -> tuple[float, float]:
    source = data.frame if not data.frame.empty else districts
    source = source.dropna(subset=["lat", "lon"]) if not source.empty else source
    if source.empty:
        return 0.0, 0.0
    return float(source["lat"].median()), float(source["lon"].median())


def payload_bytes(deck: pdk.Deck) -> int:
    """How much the browser receives for this map."""
    return len(deck.to_json().encode())
