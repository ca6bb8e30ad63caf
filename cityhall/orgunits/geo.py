"""Geometry of the registry: great-circle distances, and polygons through shapely.

Boundaries are stored as GeoJSON geometries (longitude, latitude; WGS 84) on the unit, so
both databases hold them without PostGIS. Point-in-polygon runs here in Python with
shapely; the database only narrows the candidates (bounding-box columns, a lat/lon range).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree
from shapely.validation import make_valid

EARTH_RADIUS_KM = 6371.0088
#: Map variant: about 20 m at the city's latitude, far below what a ward map shows.
MAP_TOLERANCE_DEG = 0.0002
#: Coordinates kept in the map variant: 5 decimals is about 1 m.
MAP_DECIMALS = 5

_AREA_TYPES = ("Polygon", "MultiPolygon")


class BadGeometry(ValueError):
    """A GeoJSON geometry that is not a usable polygon."""


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance between two points in kilometres."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def area_shape(geometry: Mapping[str, Any] | None) -> BaseGeometry:
    """A valid shapely (Multi)Polygon from a GeoJSON geometry; BadGeometry otherwise.

    Self-touching rings, common in hand-drawn files, are repaired (make_valid) and only
    their areal part is kept, so a boundary never loses its area to a repair.
    """
    if not isinstance(geometry, Mapping) or geometry.get("type") not in _AREA_TYPES:
        raise BadGeometry("not a Polygon or MultiPolygon")
    try:
        geom = shape(dict(geometry))
    except (TypeError, ValueError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise BadGeometry(str(exc)) from exc
    if not geom.is_valid:
        geom = make_valid(geom)
        if geom.geom_type == "GeometryCollection":
            parts = [g for g in getattr(geom, "geoms", ()) if g.geom_type in _AREA_TYPES]
            geom = shapely.union_all(parts) if parts else geom
    if geom.is_empty or geom.geom_type not in _AREA_TYPES:
        raise BadGeometry("the geometry has no area")
    lon_min, lat_min, lon_max, lat_max = geom.bounds
    if not (-180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90):
        raise BadGeometry("coordinates are not longitude, latitude in degrees")
    return geom


def contains(geometry: Mapping[str, Any] | None, lat: float, lon: float) -> bool:
    """Whether a GeoJSON Polygon or MultiPolygon ([lon, lat] order) covers the point."""
    try:
        return bool(area_shape(geometry).covers(Point(lon, lat)))
    except BadGeometry:
        # A malformed geometry never contains anything; the caller falls back to centres.
        return False


def bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a shape, in degrees."""
    west, south, east, north = geom.bounds
    return float(west), float(south), float(east), float(north)


def map_geometry(geom: BaseGeometry) -> dict[str, Any]:
    """The light variant a map draws: simplified (topology kept) and rounded to ~1 m."""
    light = geom.simplify(MAP_TOLERANCE_DEG, preserve_topology=True)
    light = shapely.set_precision(light, 10 ** -MAP_DECIMALS)
    if light.is_empty:
        light = geom
    return _rounded(mapping(light))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, MAP_DECIMALS)
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class PolygonIndex:
    """Shapes of many places under one spatial index (STRtree), for point look-ups."""

    keys: tuple[Any, ...]
    shapes: tuple[BaseGeometry, ...]
    tree: STRtree

    @classmethod
    def build(cls, items: Iterable[tuple[Any, BaseGeometry]]) -> PolygonIndex:
        pairs = list(items)
        shapes = tuple(geom for _key, geom in pairs)
        for geom in shapes:
            # Prepared shapes answer repeated covers() queries many times faster.
            shapely.prepare(geom)
        return cls(keys=tuple(key for key, _geom in pairs), shapes=shapes, tree=STRtree(shapes))

    def __len__(self) -> int:
        return len(self.keys)

    def covering(self, lat: float, lon: float) -> list[Any]:
        """Keys of the shapes that cover the point, in index order."""
        if not self.keys:
            return []
        hits: Sequence[int] = sorted(int(i) for i in self.tree.query(Point(lon, lat),
                                                                     predicate="intersects"))
        return [self.keys[i] for i in hits]
