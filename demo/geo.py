"""Plane geometry for the demo city's district outlines, kept small and dependency-free."""

from __future__ import annotations

import json
import math

Point = tuple[float, float]  # (x, y)


def _clip(polygon: list[Point], inside, cross) -> list[Point]:
    """Sutherland–Hodgman: the part of `polygon` on the inside of one straight edge."""
    out: list[Point] = []
    for i, current in enumerate(polygon):
        previous = polygon[i - 1]
        if inside(current):
            if not inside(previous):
                out.append(cross(previous, current))
            out.append(current)
        elif inside(previous):
            out.append(cross(previous, current))
    return out


def _voronoi_cell(site: Point, others: list[Point], region: list[Point]) -> list[Point]:
    """The part of `region` nearer to `site` than to any of `others`."""
    cell = region
    for other in others:
        nx, ny = other[0] - site[0], other[1] - site[1]
        mx, my = (site[0] + other[0]) / 2, (site[1] + other[1]) / 2

        def side(p: Point, nx=nx, ny=ny, mx=mx, my=my) -> float:
            return (p[0] - mx) * nx + (p[1] - my) * ny

        def cross(a: Point, b: Point, side=side) -> Point:
            t = side(a) / (side(a) - side(b))
            return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))

        cell = _clip(cell, lambda p, side=side: side(p) <= 0, cross)
        if not cell:
            break
    return cell


def voronoi_outlines(sites: list[tuple[float, float]],
                     land: tuple[tuple[float, float], ...]) -> list[str]:
    """GeoJSON Polygon outlines: each (lat, lon) site's share of the `land` polygon."""
    scale = math.cos(math.radians(sum(s[0] for s in sites) / len(sites)))
    project = [(lon * scale, lat) for lat, lon in sites]
    region = [(lon * scale, lat) for lat, lon in land]
    outlines = []
    for i, site in enumerate(project):
        cell = _voronoi_cell(site, project[:i] + project[i + 1:], region)
        ring = [[round(x / scale, 5), round(y, 5)] for x, y in cell]
        ring.append(ring[0])
        outlines.append(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    return outlines
