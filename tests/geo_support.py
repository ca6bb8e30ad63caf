"""TEST DATA ONLY: stand-in unit polygons for the tests, never shipped or shown as boundaries.

No openly licensed ward boundaries for the city could be had (docs/registry.md,
"Boundaries"), so the tests cut the city into the Voronoi cells of the registry's own unit
centres: real-looking, non-overlapping polygons that tile the city, which is all that point
resolution, the boundary API and the maps need to be exercised. They are NOT the units'
legal boundaries and are labelled so in their `source`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import shapely
from shapely.geometry import MultiPoint, mapping

from cityhall.core.audit import SYSTEM
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit
from cityhall.orgunits.services import BoundaryImport, import_boundaries
from cityhall.orgunits.sources import PROVINCE_CODE

TEST_SOURCE = "TEST DATA: Voronoi cells of the registry's unit centres (not boundaries)"


def voronoi_collection(day: dt.date | None = None) -> dict[str, Any]:
    """A FeatureCollection with one test polygon per commune-level unit that has a centre."""
    centres = [(u, (u.longitude, u.latitude))
               for u in Unit.objects.active_on(day).filter(kind__in=COMMUNE_LEVEL,
                                                           parent__code=PROVINCE_CODE)
               if u.latitude is not None and u.longitude is not None]
    points = MultiPoint([xy for _u, xy in centres])
    frame = points.envelope.buffer(0.05)
    cells = shapely.voronoi_polygons(points, extend_to=frame)
    features = []
    for unit, xy in centres:
        centre = shapely.Point(xy)
        cell = next(c for c in cells.geoms if c.covers(centre))
        features.append({
            "type": "Feature",
            "properties": {"code": unit.code, "name": unit.name},
            "geometry": mapping(cell.intersection(frame)),
        })
    return {"type": "FeatureCollection", "features": features}


def load_test_boundaries(day: dt.date | None = None) -> BoundaryImport:
    """Attach the Voronoi test polygons to the units, labelled as test data."""
    return import_boundaries(actor=SYSTEM, collection=voronoi_collection(day), day=day,
                             source=TEST_SOURCE, licence="test data")


def voronoi_legacy_collection() -> dict[str, Any]:
    """TEST DATA: one polygon per pre-2025 ward, commune or township that has a centre."""
    from cityhall.orgunits.sources import LEGACY_END

    centres: list[tuple[Unit, tuple[float, float]]] = []
    seen: set[tuple[float, float]] = set()
    for u in Unit.objects.filter(valid_to=LEGACY_END, kind__in=COMMUNE_LEVEL).order_by("code"):
        # A few old units share a centre in the source: one cell each, so the first keeps it.
        if u.latitude is not None and u.longitude is not None and (
                (u.longitude, u.latitude) not in seen):
            seen.add((u.longitude, u.latitude))
            centres.append((u, (u.longitude, u.latitude)))
    points = MultiPoint([xy for _u, xy in centres])
    frame = points.envelope.buffer(0.05)
    cells = shapely.voronoi_polygons(points, extend_to=frame)
    features = []
    for unit, xy in centres:
        cell = next(c for c in cells.geoms if c.covers(shapely.Point(xy)))
        features.append({"type": "Feature", "properties": {"ma_xa": unit.code},
                         "geometry": mapping(cell.intersection(frame))})
    return {"type": "FeatureCollection", "features": features}


#: TEST DATA: the source every square of `square_collection` carries.
SQUARES_SOURCE = "TEST DATA: squares around three units' centres (not boundaries)"
#: Half the side of a test square, in degrees (about 0.9 km).
SQUARE_HALF = 0.008


def square_collection(names: list[str], *, approximate: str = "") -> dict[str, Any]:
    """TEST DATA: a FeatureCollection of one small square around each named unit's centre
    (the unit named `approximate`, if any, marked approximate); never a boundary."""
    features = []
    for name in names:
        unit = Unit.objects.active_on().get(name=name, kind__in=COMMUNE_LEVEL)
        assert unit.latitude is not None and unit.longitude is not None
        x, y, h = unit.longitude, unit.latitude, SQUARE_HALF
        features.append({
            "type": "Feature",
            "properties": {"code": unit.code, "name": unit.name,
                           "approximate": name == approximate,
                           "approximate_note": "test data" if name == approximate else ""},
            "geometry": {"type": "Polygon", "coordinates": [
                [[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h], [x - h, y - h]]]},
        })
    return {"type": "FeatureCollection", "features": features}


def load_test_squares(names: list[str], *, approximate: str = "") -> BoundaryImport:
    """Attach the test squares of `square_collection` to the units, labelled as test data."""
    return import_boundaries(actor=SYSTEM, collection=square_collection(
        names, approximate=approximate), source=SQUARES_SOURCE, licence="test data")
