"""The report's map, drawn server-side as SVG: country outlines, the organizations, the routes.

Offline by construction: the outlines are Natural Earth's, from the npm package world-atlas
(countries-50m.json, TopoJSON) in the node_modules the vendored browser libraries come from;
nothing is fetched from a tile server or the internet, and the browser gets plain SVG (no script).
The TopoJSON is decoded once (numpy) and kept; each map projects the outlines that fall in its
view with a Mercator projection fitted to the report's locations. Without world-atlas installed
the map still shows the locations and routes on a graticule, and says why the outlines are missing.

Coordinates are the organizations' own (ledger registration, optional): an organization without
them is listed under the map, never guessed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dashboards.assets import node_modules_dir
from services.reports.custody_graph import OUT_OF_CHAIN, GraphEdge
from services.reports.parties import Party

OUTLINES_FILE = "world-atlas/countries-50m.json"  # 1:50m: borders hold at country scale
WORLD_OUTLINES_FILE = "world-atlas/countries-110m.json"  # coarser, for continent-wide views
WORLD_SPAN_DEGREES = 60.0
WIDTH, HEIGHT = 960.0, 560.0
MAX_LATITUDE = 85.0
MIN_SPAN_DEGREES = 8.0  # a chain inside one city still shows its country around it

Coordinates = NDArray[np.float64]


@dataclass(frozen=True)
class Outlines:
    """Every country ring in longitude/latitude, with its bounding box."""

    rings: list[Coordinates]
    boxes: Coordinates  # (n, 4): west, south, east, north


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    name: str
    role: str
    detail: str


@dataclass(frozen=True)
class MapRoute:
    path: str
    label: str
    width: float


@dataclass(frozen=True)
class MapView:
    width: float
    height: float
    countries: tuple[str, ...]  # SVG path data, one per ring in view
    graticule: tuple[str, ...]
    points: tuple[MapPoint, ...]
    routes: tuple[MapRoute, ...]
    unlocated: tuple[str, ...]  # organizations without coordinates
    outlines_note: str  # why outlines are missing, or ""


def _arcs(topology: dict[str, object]) -> list[Coordinates]:
    transform = topology["transform"]
    assert isinstance(transform, dict)
    scale = np.asarray(transform["scale"], dtype=np.float64)
    translate = np.asarray(transform["translate"], dtype=np.float64)
    arcs = topology["arcs"]
    assert isinstance(arcs, list)
    return [
        np.cumsum(np.asarray(arc, dtype=np.float64), axis=0) * scale + translate for arc in arcs
    ]


def _ring(arcs: list[Coordinates], indexes: list[int]) -> Coordinates:
    """A ring from TopoJSON arc indexes (negative: the arc reversed, `~i`)."""
    parts = []
    for n, index in enumerate(indexes):
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(arc if n == 0 else arc[1:])
    return np.concatenate(parts)


@lru_cache(maxsize=2)
def load_outlines(path: Path) -> Outlines | None:
    """The countries of a world-atlas TopoJSON file; None when it is not installed."""
    if not path.is_file():
        return None
    topology = json.loads(path.read_text())
    arcs = _arcs(topology)
    rings: list[Coordinates] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            rings.extend(_ring(arcs, ring) for ring in polygon)
    boxes = np.array([[r[:, 0].min(), r[:, 1].min(), r[:, 0].max(), r[:, 1].max()] for r in rings])
    return Outlines(rings, boxes)


def _mercator_y(latitude: Coordinates | float) -> Coordinates:
    phi = np.radians(np.clip(latitude, -MAX_LATITUDE, MAX_LATITUDE))
    return np.asarray(np.degrees(np.log(np.tan(np.pi / 4 + phi / 2))), dtype=np.float64)


@dataclass(frozen=True)
class Projection:
    """Mercator fitted to a view box: longitude/latitude → SVG x/y."""

    west: float
    east: float
    south: float
    north: float

    @property
    def scale(self) -> float:
        top, bottom = float(_mercator_y(self.north)), float(_mercator_y(self.south))
        return min(WIDTH / (self.east - self.west), HEIGHT / (top - bottom))

    def xy(self, lonlat: Coordinates) -> Coordinates:
        scale = self.scale
        top = float(_mercator_y(self.north))
        x = (lonlat[:, 0] - self.west) * scale
        y = (top - _mercator_y(lonlat[:, 1])) * scale
        return np.column_stack([x, y])

    def point(self, longitude: float, latitude: float) -> tuple[float, float]:
        x, y = self.xy(np.array([[longitude, latitude]]))[0]
        return float(x), float(y)


def fit(places: Sequence[Party]) -> Projection:
    """A view around the located places with a margin, widened to the map's aspect ratio."""
    lons = [p.longitude for p in places if p.longitude is not None]
    lats = [p.latitude for p in places if p.latitude is not None]
    if not lons:
        return Projection(-170.0, 190.0, -58.0, 80.0)
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_lon = max((east - west) * 0.25, (MIN_SPAN_DEGREES - (east - west)) / 2, 1.5)
    pad_lat = max((north - south) * 0.25, (MIN_SPAN_DEGREES * 0.6 - (north - south)) / 2, 1.0)
    west, east = west - pad_lon, east + pad_lon
    south, north = max(south - pad_lat, -80.0), min(north + pad_lat, 84.0)
    # widen the shorter side so the view fills the map's width × height
    top, bottom = float(_mercator_y(north)), float(_mercator_y(south))
    wanted = (east - west) * HEIGHT / WIDTH
    if top - bottom < wanted:
        middle = (top + bottom) / 2
        top, bottom = middle + wanted / 2, middle - wanted / 2
        north = math.degrees(2 * math.atan(math.exp(math.radians(top))) - math.pi / 2)
        south = math.degrees(2 * math.atan(math.exp(math.radians(bottom))) - math.pi / 2)
    else:
        extra = ((top - bottom) * WIDTH / HEIGHT - (east - west)) / 2
        west, east = west - extra, east + extra
    return Projection(round(west, 4), round(east, 4), round(south, 4), round(north, 4))


def _path(points: Coordinates) -> str:
    """SVG path data at half-pixel precision, consecutive repeats dropped."""
    rounded = np.round(points * 2) / 2
    keep = np.ones(len(rounded), dtype=bool)
    keep[1:] = np.any(rounded[1:] != rounded[:-1], axis=1)
    kept = rounded[keep]
    if len(kept) < 3:
        return ""
    coords = " ".join(f"{x:g},{y:g}" for x, y in kept.tolist())
    return f"M{coords}Z"


@lru_cache(maxsize=64)
def _country_paths(path: Path, projection: Projection) -> tuple[str, ...]:
    outlines = load_outlines(path)
    if outlines is None:
        return ()
    margin = 2.0
    boxes = outlines.boxes
    visible = np.nonzero(
        (boxes[:, 2] >= projection.west - margin)
        & (boxes[:, 0] <= projection.east + margin)
        & (boxes[:, 3] >= projection.south - margin)
        & (boxes[:, 1] <= projection.north + margin)
    )[0]
    drawn = (_path(projection.xy(outlines.rings[i])) for i in visible)
    return tuple(d for d in drawn if d)


def _graticule(projection: Projection) -> tuple[str, ...]:
    step = 5 if projection.east - projection.west <= 60 else 30
    lines = []
    for lon in range(math.ceil(projection.west / step) * step, int(projection.east) + 1, step):
        x, _ = projection.point(lon, 0)
        lines.append(f"M{x:.1f},0V{HEIGHT:g}")
    for lat in range(math.ceil(projection.south / step) * step, int(projection.north) + 1, step):
        _, y = projection.point(0, lat)
        lines.append(f"M0,{y:.1f}H{WIDTH:g}")
    return tuple(lines)


def _routes(
    projection: Projection, located: dict[str, Party], edges: Sequence[GraphEdge]
) -> tuple[MapRoute, ...]:
    heaviest = max((e.quantity for e in edges), default=1) or 1
    routes = []
    for edge in edges:
        a, b = located.get(edge.source), located.get(edge.target)
        if a is None or b is None or edge.target.startswith(OUT_OF_CHAIN):
            continue
        x1, y1 = projection.point(a.longitude or 0.0, a.latitude or 0.0)
        x2, y2 = projection.point(b.longitude or 0.0, b.latitude or 0.0)
        # a gentle arc, bent to the left of travel, so two-way routes do not overlap
        cx, cy = (x1 + x2) / 2 - (y2 - y1) * 0.18, (y1 + y2) / 2 + (x2 - x1) * 0.18
        label = f"{a.name} → {b.name}: " + " · ".join(line for line in edge.lines if line)
        routes.append(
            MapRoute(
                f"M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}",
                label,
                round(1.5 + 4.5 * edge.quantity / heaviest, 2),
            )
        )
    return tuple(routes)


def build_map(
    places: Sequence[Party], edges: Sequence[GraphEdge], node_modules: Path | None = None
) -> MapView:
    """The map of a report's organizations (`places`) and shipment routes (`edges`)."""
    located = {p.msp_id: p for p in places if p.located}
    unlocated = tuple(sorted(p.name for p in places if not p.located))
    if not located:  # nothing to show: no map rather than an empty world
        return MapView(WIDTH, HEIGHT, (), (), (), (), unlocated, "")
    projection = fit(list(located.values()))
    wide = projection.east - projection.west > WORLD_SPAN_DEGREES
    outlines_path = (node_modules or node_modules_dir()) / (
        WORLD_OUTLINES_FILE if wide else OUTLINES_FILE
    )
    countries = _country_paths(outlines_path, projection)
    note = (
        ""
        if countries or load_outlines(outlines_path) is not None
        else "Country outlines are not installed (npm package world-atlas; run npm ci)."
    )
    points = []
    for party in located.values():
        x, y = projection.point(party.longitude or 0.0, party.latitude or 0.0)
        where = ", ".join(part for part in (party.address, party.country) if part)
        points.append(MapPoint(x, y, party.name, party.role, f"{where} · GLN {party.gln}"))
    return MapView(
        width=WIDTH,
        height=HEIGHT,
        countries=countries,
        graticule=_graticule(projection),
        points=tuple(points),
        routes=_routes(projection, located, edges),
        unlocated=unlocated,
        outlines_note=note,
    )
