"""What the overview's and the department's maps draw, built for reading at a glance and for
clicking.

Overdue tickets are large red dots with a white ring, drawn over everything; open ones small
blue dots; done ones small grey ones. No heat layer: the dots say where the trouble is. On the
overview, districts are clickable (their list), points open their card, cells (when there are too
many points) their list; on the department's page, points open their card. The view is framed
for the narrowest screen the page is read on, so it holds its tickets at 1366 pixels and on a
phone alike.

Two ways to draw it from the same parts: `drawing` (the districts' outlines as the basemap, in
SVG, `ui/city_map.py`: no WebGL, which a browser without a graphics card spent 2.5 s on) and
`deck` (pydeck, only under a configured street basemap, which needs a map library).
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
    on_screen,
    readable_names,
    text_box,
    two_lines,
)
from ui.i18n import name_of
from ui.text import inert
from words.formatting import duration
from words.language import translate

# The map's size on a 1366-pixel screen (its column, and the height it is drawn at): the frame
# fits this, so a wider screen only shows more around the same tickets.
SIZE = (540, 460)
NAME_SIZE = 14
# Names are kept apart as if a fifth larger: room for their outline, accents (ё, й) and spacing.
NAME_ROOM = NAME_SIZE * 1.2
COLOURS = {"late": [198, 40, 40, 240], "open": [33, 102, 172, 210], "done": [140, 140, 140, 140]}
RADIUS = {"late": 7, "open": 4, "done": 3}  # pixels
RING = [255, 255, 255, 255]
CELL = [198, 40, 40, 120]
POINT_FIELDS = ["lon", "lat", "kind", "color", "radius", "external_id", "lines", "tip"]
CELL_FIELDS = ["lon", "lat", "row", "col", "count", "radius", "tip"]


def _features(districts: pd.DataFrame, lang: str) -> list[dict]:
    """Each outlined district: its code, its name and its outline (GeoJSON geometry)."""
    return [{"code": row["code"], "name": name_of(row, lang),
             "geometry": json.loads(row["outline"])}
            for row in districts.to_dict("records")
            if isinstance(row.get("outline"), str) and row["outline"]]


def _labels(districts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Where each district's name goes (`lat`, `lon`), and the name on one or two lines."""
    return label_points(districts).assign(
        name=[two_lines(name_of(row, lang)) for row in districts.to_dict("records")]).dropna()


def frame(data: MapData, districts: pd.DataFrame, lang: str, view: pdk.ViewState | None,
          size: tuple[int, int] = SIZE) -> pdk.ViewState:
    """The view to draw: `view` (the tickets' frame, kept through refreshes), else one with
    every district's name whole, else the districts' middle."""
    if view is None:
        view = names_view(_labels(districts, lang), size, NAME_SIZE)
    return view or pdk.ViewState(latitude=float(districts["lat"].mean() or 0),
                                 longitude=float(districts["lon"].mean() or 0), zoom=10)


def point_records(data: MapData, lang: str) -> pd.DataFrame:
    """The points, overdue last (drawn on top), with their kind (`late`, `open`, `done`), colour,
    size and tooltip (`lines`: what, where, who, state and age, id)."""
    frame = data.frame.copy()
    if frame.empty:
        return frame.reindex(columns=POINT_FIELDS)
    open_ = frame["status"].isin(["new", "in_progress"])
    late = open_ & frame["past_due"]
    frame["rank"] = late.astype(int) * 2 + open_.astype(int)
    frame = frame.sort_values("rank", kind="stable")
    open_, late = open_[frame.index], late[frame.index]
    frame["kind"] = ["late" if x else "open" if o else "done"
                     for o, x in zip(open_, late, strict=True)]
    frame["color"] = [COLOURS[k] for k in frame["kind"]]
    frame["radius"] = [RADIUS[k] for k in frame["kind"]]
    frame["lines"] = [
        [name_of(r, lang, "category"), r["address"] or "", name_of(r, lang, "department"),
         (translate(lang, "chart.overdue") if x else translate(lang, f"status.{r['status']}"))
         + " · " + translate(lang, "map.age", d=duration(r["age_s"], lang)),
         str(r["external_id"])]
        for r, x in zip(frame.to_dict("records"), late, strict=True)]
    frame["tip"] = [_html(lines) for lines in frame["lines"]]
    return frame.reindex(columns=POINT_FIELDS)


def _html(lines: list[str]) -> str:
    """A deck.gl tooltip: the first line bold, the last small, every line's text escaped."""
    first, *middle, last = [escape(line) for line in lines]
    return f"<b>{first}</b><br/>" + "".join(f"{m}<br/>" for m in middle) + f"<small>{last}</small>"


def _cells(data: MapData, lang: str) -> pd.DataFrame:
    """The cells, each sized by its count (the biggest 18 pixels across) with its tooltip."""
    cells = data.frame.round({"lat": 6, "lon": 6})
    biggest = max(int(cells["count"].max()), 1) if len(cells) else 1
    cells["radius"] = [4 + 14 * (n / biggest) ** 0.5 for n in cells["count"]]
    cells["tip"] = [translate(lang, "map.cell", n=int(n)) for n in cells["count"]]
    return cells.reindex(columns=CELL_FIELDS)


def _xy(lat: float, lon: float, view: pdk.ViewState) -> list[float]:
    """Pixels from the frame's middle, rounded to a tenth."""
    x, y = on_screen(lat, lon, view, 0, 0)
    return [round(x, 1), round(y, 1)]


def _path(geometry: dict, view: pdk.ViewState) -> str:
    """An SVG path of a (multi)polygon in pixels from the frame's middle; a vertex within half a
    pixel of the one before is left out (it draws nothing)."""
    polygons = (geometry["coordinates"] if geometry["type"] == "MultiPolygon"
                else [geometry["coordinates"]])
    parts = []
    for polygon in polygons:
        for ring in polygon:
            kept: list[list[float]] = []
            for lon, lat in ring:
                x, y = _xy(lat, lon, view)
                if not kept or abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= 0.5:
                    kept.append([x, y])
            if len(kept) >= 3:
                parts.append("M" + "L".join(f"{x:g} {y:g}" for x, y in kept) + "Z")
    return "".join(parts)


def drawing(data: MapData, districts: pd.DataFrame, lang: str, view: pdk.ViewState,
            incidents: Sequence[Incident] = (), size: tuple[int, int] = SIZE,
            district_lists: bool = True) -> dict:
    """What `ui/city_map.py` draws, in pixels from the middle of `view`: outlined districts (code,
    tooltip, and whether a click lists its tickets: `district_lists`), points (kind, id, tooltip
    lines) or cells (place, radius, tooltip), incidents' rings with their counts, and every
    district's name with the room it takes (`box`): those that fit whole and apart on a map of
    `size` first, shown `always`; the others are shown where zooming in makes room for them."""
    every = _labels(districts, lang).to_dict("records")
    shown = readable_names(every, data.frame, view, size, NAME_ROOM)
    later = [n for n in every if n not in shown]  # for when the user zooms in
    points, cells = [], []
    if data.cells:
        cells = [{"at": _xy(c.lat, c.lon, view), "r": round(c.radius, 1), "lat": c.lat,
                  "lon": c.lon, "tip": [c.tip]} for c in _cells(data, lang).itertuples()]
    else:
        points = [{"at": _xy(p.lat, p.lon, view), "kind": p.kind, "id": str(p.external_id),
                   "tip": p.lines} for p in point_records(data, lang).itertuples()]
    return {
        "size": list(size),
        "frame": {"latitude": view.latitude, "longitude": view.longitude, "zoom": view.zoom},
        "districts": [{"code": d["code"], "d": _path(d["geometry"], view),
                       "pick": district_lists,
                       "tip": [translate(lang, "map.district_tip", name=d["name"])
                               if district_lists else d["name"]]}
                      for d in _features(districts, lang)],
        "points": points,
        "cells": cells,
        "rings": [{"at": _xy(i.lat, i.long, view), "n": i.size} for i in incidents],
        "names": [{"at": _xy(n["lat"], n["lon"], view), "lines": n["name"].split("\n"),
                   "box": [round(v, 1) for v in text_box(n["name"], NAME_ROOM)],
                   "always": n in shown}
                  for n in shown + later],
        "words": {key: translate(lang, f"map.{key}")
              for key in ("zoom_in", "zoom_out", "zoom_home", "label", "keys")},
    }


def deck(data: MapData, districts: pd.DataFrame, lang: str, basemap: str, view: pdk.ViewState,
         incidents: Sequence[Incident] = ()) -> pdk.Deck:
    """The map over a street `basemap`: points or cells, incidents' rings. No string from the
    data may read as a deck.gl expression."""
    if data.cells:
        layer = pdk.Layer("ScatterplotLayer", _cells(data, lang), id="cells",
                          get_position=["lon", "lat"], get_radius="radius",
                          radius_units="'pixels'", get_fill_color=CELL, stroked=True,
                          get_line_color=RING, line_width_min_pixels=1, pickable=True,
                          auto_highlight=True)
    else:
        layer = pdk.Layer("ScatterplotLayer", point_records(data, lang).drop(columns="lines"),
                          id="tickets", get_position=["lon", "lat"], get_fill_color="color",
                          get_radius="radius", radius_units="'pixels'", stroked=True,
                          get_line_color=RING, line_width_min_pixels=1, pickable=True,
                          auto_highlight=True)
    layers = [layer, *incident_layers(incidents)]
    for each in layers:
        each.data = inert(each.data)
    return pdk.Deck(layers=layers, initial_view_state=view, tooltip={"html": "{tip}"},
                    **basemap_args(basemap))
