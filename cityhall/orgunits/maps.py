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
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind, UnitSuccession
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


#: The kinds of unit that are areas (a department or an internal division is not).
AREA_KINDS = (UnitKind.PROVINCE, UnitKind.DISTRICT, *COMMUNE_LEVEL, UnitKind.NEIGHBOURHOOD)


def _area_feature(unit: Unit, role: str) -> dict[str, Any] | None:
    try:
        geometry = map_geometry(area_shape(unit.boundary))
    except BadGeometry:
        return None
    return {
        "type": "Feature",
        "id": unit.code,
        "geometry": geometry,
        "properties": {
            "code": unit.code, "name": unit.name, "name_en": unit.name_en, "role": role,
            "approximate": unit.boundary_approximate,
            "approximate_note": unit.boundary_note,
        },
    }


def _build_children(parent_pk: int, day: dt.date) -> MapLayer:
    parent = Unit.objects.get(pk=parent_pk)
    children = list(Unit.objects.active_on(day).filter(parent_id=parent_pk, kind__in=AREA_KINDS,
                                                       bbox_west__isnull=False).order_by("code"))
    features: list[dict[str, Any]] = []
    sources: dict[str, None] = {}
    for unit, role in [(parent, "self"), *((c, "child") for c in children)]:
        if unit.boundary is None:
            continue
        feature = _area_feature(unit, role)
        if feature is None:
            continue
        features.append(feature)
        if unit.boundary_source:
            label = unit.boundary_source
            if unit.boundary_licence:
                label += f" ({unit.boundary_licence})"
            sources[label] = None
    collection = {
        "type": "FeatureCollection", "features": features, "unit": parent.code,
        "day": day.isoformat(), "attribution": list(sources),
    }
    body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    bounded = sum(1 for f in features if f["properties"]["role"] == "child")
    return MapLayer(body=body, etag=etag, boundaries=bounded, units=len(children))


_CHILD_LAYERS: ProcessCache[MapLayer] = ProcessCache(
    "orgunits.children_layer", ttl=LAYER_CACHE_SECONDS, models=(Unit,), size=64)


def children_layer(parent: Unit, day: dt.date | None = None) -> MapLayer:
    """The light boundaries of `parent` itself (role `self`) and of its units in service on
    `day` that are areas (role `child`): what a map of the units below one draws. Units
    without a boundary are left out, never drawn as shapes of our own."""
    day = day or timezone.localdate()
    return _CHILD_LAYERS.get((parent.pk, day), lambda: _build_children(parent.pk, day))
