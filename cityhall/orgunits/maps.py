"""What the maps draw: unit boundaries (or centres) as GeoJSON, with names old and new.

The layer is the same for every visitor and changes only with the registry, so it is built
once per process and day (emptied when a unit is saved) and served with a validator;
pages fetch it instead of carrying it inline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cityhall.core.localcache import ProcessCache
from cityhall.orgunits.geo import BadGeometry, area_shape, map_geometry
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitSuccession
from cityhall.orgunits.sources import PROVINCE_CODE

LAYER_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class MapLayer:
    """The serialised layer and its validator."""

    body: bytes
    etag: str
    boundaries: int
    units: int


def boundary_feature(unit: Unit, *, detail: str = "full") -> dict[str, Any]:
    """One unit's boundary as a GeoJSON Feature; `detail="map"` is the light variant.

    Raises BadGeometry when the unit has no usable boundary.
    """
    geom = area_shape(unit.boundary)
    geometry = map_geometry(geom) if detail == "map" else unit.boundary
    return {
        "type": "Feature",
        "id": unit.code,
        "geometry": geometry,
        "properties": {
            "code": unit.code,
            "name": unit.name,
            "name_en": unit.name_en,
            "approximate": unit.boundary_approximate,
            "approximate_note": unit.boundary_note,
            "source": unit.boundary_source,
            "licence": unit.boundary_licence,
            "bbox": [unit.bbox_west, unit.bbox_south, unit.bbox_east, unit.bbox_north],
            "detail": detail,
        },
    }


def _former_names(units: list[Unit]) -> dict[int, list[str]]:
    """Each unit's predecessors ('Phường Bến Nghé, Quận 1'): what residents still call it."""
    names: dict[int, list[str]] = {u.pk: [] for u in units}
    links = (UnitSuccession.objects.filter(successor__in=units)
             .select_related("predecessor", "predecessor__parent")
             .order_by("predecessor__name", "pk"))
    for link in links:
        old = link.predecessor
        parent = old.parent
        in_district = parent is not None and parent.code != PROVINCE_CODE
        label = f"{old.name}, {parent.name}" if parent is not None and in_district else old.name
        if label not in names[link.successor_id]:
            names[link.successor_id].append(label)
    return names


def _build(day: dt.date) -> MapLayer:
    units = list(Unit.objects.active_on(day).filter(kind__in=COMMUNE_LEVEL,
                                                    parent__code=PROVINCE_CODE).order_by("code"))
    former = _former_names(units)
    features: list[dict[str, Any]] = []
    sources: dict[str, None] = {}
    bounded = 0
    for unit in units:
        geometry: dict[str, Any] | None = None
        if unit.boundary is not None:
            try:
                geometry = map_geometry(area_shape(unit.boundary))
            except BadGeometry:
                geometry = None
        if geometry is not None:
            bounded += 1
            if unit.boundary_source:
                label = unit.boundary_source
                if unit.boundary_licence:
                    label += f" ({unit.boundary_licence})"
                sources[label] = None
        elif unit.latitude is not None and unit.longitude is not None:
            geometry = {"type": "Point", "coordinates": [unit.longitude, unit.latitude]}
        else:
            continue
        centre = ([unit.latitude, unit.longitude]
                  if unit.latitude is not None and unit.longitude is not None else None)
        box = ([unit.bbox_west, unit.bbox_south, unit.bbox_east, unit.bbox_north]
               if geometry["type"] != "Point" else None)
        features.append({
            "type": "Feature",
            "id": unit.code,
            "geometry": geometry,
            "properties": {
                "code": unit.code, "name": unit.name, "name_en": unit.name_en,
                "former": former.get(unit.pk, []), "centre": centre, "bbox": box,
                "boundary": geometry["type"] != "Point",
                "approximate": unit.boundary_approximate if geometry["type"] != "Point" else None,
            },
        })
    collection = {
        "type": "FeatureCollection",
        "features": features,
        "day": day.isoformat(),
        # Shown on the map: whose boundaries these are, under which licence.
        "attribution": list(sources),
    }
    body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return MapLayer(body=body, etag=etag, boundaries=bounded, units=len(features))


_LAYERS: ProcessCache[MapLayer] = ProcessCache(
    "orgunits.map_layer", ttl=LAYER_CACHE_SECONDS, models=(Unit, UnitSuccession), size=8)


def unit_map_layer(day: dt.date | None = None) -> MapLayer:
    """The commune-level units in service on `day`: light boundaries where known, else centres."""
    day = day or timezone.localdate()
    return _LAYERS.get(day, lambda: _build(day))
