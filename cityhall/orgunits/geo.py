"""Small, pure geometry: great-circle distance and point-in-polygon on GeoJSON geometries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

EARTH_RADIUS_KM = 6371.0088

Ring = Sequence[Sequence[float]]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance between two points in kilometres."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Ray casting: count the edges a ray going east from the point crosses."""
    inside = False
    n = len(ring)
    if n < 3:
        return False
    x1, y1 = ring[-1][0], ring[-1][1]
    for vertex in ring:
        x2, y2 = vertex[0], vertex[1]
        if (y2 > lat) != (y1 > lat):
            crossing = x2 + (lat - y2) * (x1 - x2) / (y1 - y2)
            if lon < crossing:
                inside = not inside
        x1, y1 = x2, y2
    return inside


def _in_polygon(lon: float, lat: float, rings: Sequence[Ring]) -> bool:
    if not rings or not _in_ring(lon, lat, rings[0]):
        return False
    # Later rings are holes (a lake, an enclave belonging to another unit).
    return not any(_in_ring(lon, lat, hole) for hole in rings[1:])


def contains(geometry: dict[str, Any] | None, lat: float, lon: float) -> bool:
    """Whether a GeoJSON Polygon or MultiPolygon ([lon, lat] order) contains the point."""
    if not geometry:
        return False
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    try:
        if kind == "Polygon":
            return _in_polygon(lon, lat, coords)
        if kind == "MultiPolygon":
            return any(_in_polygon(lon, lat, polygon) for polygon in coords)
    except (TypeError, IndexError, ValueError):
        # A malformed geometry never contains anything; the caller falls back to centres.
        return False
    return False
