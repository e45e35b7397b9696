"""The overview's map, built for reading at a glance and for clicking.

Overdue tickets are large red dots with a white ring, drawn over everything; open ones small
blue dots; done ones small grey ones. No heat layer: the dots say where the trouble is, and a
heat layer is what the browser spends most of the map's drawing time on. Districts are
clickable (their list), points open their card, cells (when there are too many points) their
list. The view is framed for the narrowest screen the overview is read on, so it holds its
tickets at 1366 pixels and on a phone alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

import pandas as pd
import pydeck as pdk

from queries.incidents import Incident
from queries.map_points import MapData
from ui.deck import (
    basemap_args,
    incident_layers,
    label_points,
    names_view,
    readable_names,
    ticket_view,
    two_lines,
)
from ui.formatting import duration
from ui.i18n import name_of, translate
from ui.text import inert

# The map's size on a 1366-pixel screen (its column, and the height it is drawn at): the frame
# fits this, so a wider screen only shows more around the same tickets.
SIZE = (540, 460)
NAME_SIZE = 14
# Names are kept apart as if a fifth larger: room for their outline, accents (ё, й) and spacing.
NAME_ROOM = NAME_SIZE * 1.2
OVERDUE = [198, 40, 40, 240]
OPEN = [33, 102, 172, 210]
DONE = [140, 140, 140, 140]
RING = [255, 255, 255, 255]
CELL = [198, 40, 40, 120]
POINT_FIELDS = ["lon", "lat", "color", "radius", "external_id", "tip"]
CELL_FIELDS = ["lon", "lat", "row", "col", "count", "radius", "tip"]


def _districts(districts: pd.DataFrame, lang: str) -> tuple[pdk.Layer, pd.DataFrame]:
    """Clickable outlines (each with its code), and where each name goes."""
    features = [
        {"type": "Feature", "geometry": json.loads(row["outline"]),
         "properties": {"code": row["code"], "tip": translate(
             lang, "map.district_tip", name=escape(name_of(row, lang)))}}
        for row in districts.to_dict("records")
        if isinstance(row.get("outline"), str) and row["outline"]
    ]
    labels = label_points(districts).assign(
        name=[two_lines(name_of(row, lang)) for row in districts.to_dict("records")]).dropna()
    layer = pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features},
                      id="districts", stroked=True, filled=True,
                      get_fill_color=[238, 238, 232, 255], get_line_color=[90, 90, 90, 170],
                      line_width_min_pixels=1, pickable=True, auto_highlight=True,
                      highlight_color=[255, 213, 79, 90])
    return layer, labels


def _names(labels: list[dict]) -> pdk.Layer:
    return pdk.Layer("TextLayer", labels, id="district-names", get_position=["lon", "lat"],
                     get_text="name", get_size=NAME_SIZE, get_color=[35, 35, 35, 255],
                     get_alignment_baseline="'center'", character_set="'auto'",
                     font_family="'DejaVu Sans, Arial, sans-serif'", font_weight=600,
                     font_settings={"sdf": True}, outline_width=3,
                     outline_color=[238, 238, 232, 255], line_height=1.1)


def point_records(data: MapData, lang: str) -> pd.DataFrame:
    """The points, overdue last (drawn on top), with colour, size and tooltip text."""
    frame = data.frame.copy()
    if frame.empty:
        return frame.reindex(columns=POINT_FIELDS)
    open_ = frame["status"].isin(["new", "in_progress"])
    late = open_ & frame["past_due"]
    frame["rank"] = late.astype(int) * 2 + open_.astype(int)
    frame = frame.sort_values("rank", kind="stable")
    open_, late = open_[frame.index], late[frame.index]
    frame["color"] = [OVERDUE if x else OPEN if o else DONE for o, x in zip(open_, late,
                                                                           strict=True)]
    frame["radius"] = [7 if x else 4 if o else 3 for o, x in zip(open_, late, strict=True)]
    frame["tip"] = [
        f"<b>{escape(name_of(r, lang, 'category'))}</b><br/>{escape(r['address'] or '')}"
        f"<br/>{escape(name_of(r, lang, 'department'))}<br/>"
        + (translate(lang, "chart.overdue") if x else translate(lang, f"status.{r['status']}"))
        + " · " + translate(lang, "map.age", d=duration(r["age_s"], lang))
        + f"<br/><small>{escape(str(r['external_id']))}</small>"
        for r, x in zip(frame.to_dict("records"), late, strict=True)]
    return frame.reindex(columns=POINT_FIELDS)


def deck(data: MapData, districts: pd.DataFrame, lang: str, basemap: str | None,
         view: pdk.ViewState | None, incidents: Sequence[Incident] = (),
         size: tuple[int, int] = SIZE) -> pdk.Deck:
    """The overview's deck, framed for `size`: districts (unless a street basemap), points or
    cells, incidents' rings, names. No string from the data may read as a deck.gl expression."""
    layers: list[pdk.Layer] = []
    labels = None
    if not basemap:
        outlines, labels = _districts(districts, lang)
        layers.append(outlines)
        if view is None:
            view = names_view(labels, size, NAME_SIZE)
    if view is None:
        view = ticket_view(data.frame, size) if not data.cells else None
    view = view or pdk.ViewState(latitude=float(districts["lat"].mean() or 0),
                                 longitude=float(districts["lon"].mean() or 0), zoom=10)
    if data.cells:
        cells = data.frame.round({"lat": 6, "lon": 6})
        biggest = max(int(cells["count"].max()), 1) if len(cells) else 1
        cells["radius"] = [4 + 14 * (n / biggest) ** 0.5 for n in cells["count"]]
        cells["tip"] = [translate(lang, "map.cell", n=int(n)) for n in cells["count"]]
        layers.append(pdk.Layer("ScatterplotLayer", cells.reindex(columns=CELL_FIELDS),
                                id="cells", get_position=["lon", "lat"], get_radius="radius",
                                radius_units="'pixels'", get_fill_color=CELL, stroked=True,
                                get_line_color=RING, line_width_min_pixels=1, pickable=True,
                                auto_highlight=True))
    else:
        points = point_records(data, lang)
        layers.append(pdk.Layer("ScatterplotLayer", points, id="tickets",
                                get_position=["lon", "lat"], get_fill_color="color",
                                get_radius="radius", radius_units="'pixels'", stroked=True,
                                get_line_color=RING, line_width_min_pixels=1, pickable=True,
                                auto_highlight=True))
    if labels is not None:
        shown = readable_names(labels.to_dict("records"), data.frame, view, size, NAME_ROOM)
        layers.append(_names(shown))
    layers[len(layers) - (labels is not None):len(layers) - (labels is not None)] = \
        incident_layers(incidents)
    for layer in layers:
        layer.data = inert(layer.data)
    return pdk.Deck(layers=layers, initial_view_state=view, tooltip={"html": "{tip}"},
                    **basemap_args(basemap))
