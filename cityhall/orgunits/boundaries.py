"""Deriving the 2025 units' boundaries from the pre-2025 wards' polygons.

Every new commune-level unit was formed from whole old wards, communes and townships, or
from parts of old ones that were split (UnitSuccession, built from vietnamadminunits'
converter tables). Given openly licensed polygons of the old units, a new unit's boundary
is the union of its old units' polygons. Where an old unit was split, the dividing line
is not in the old polygons: its whole territory goes to the successor that took over its
open work (the primary one, the converter's answer for an address without a street), so
the new units still tile the city without overlap, and both that successor and the others
are marked approximate, with a note that names the split unit. Nothing is invented: a new
unit whose old units have no polygon gets no boundary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from cityhall.core.text import search_key
from cityhall.orgunits.geo import BadGeometry, area_shape
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind, UnitSuccession
from cityhall.orgunits.sources import LEGACY_END, PROVINCE_CODE, REFORM_DAY

#: Simplification of the derived polygons, in degrees (about 5 m): far below the old
#: polygons' own precision, and it keeps the file a few megabytes.
DERIVED_TOLERANCE_DEG = 0.00005
DERIVED_DECIMALS = 6

_CODE_KEYS = ("code", "ma", "ma_xa", "maxa", "ward_code", "wardCode", "ma_dvhc")
_NAME_KEYS = ("name", "ten", "ten_xa", "tenxa", "ward", "ward_name", "ten_dvhc")


@dataclass
class Derivation:
    """The derived FeatureCollection and what could not be used."""

    collection: dict[str, Any]
    unmatched: list[str] = field(default_factory=list)
    without_boundary: list[str] = field(default_factory=list)


def _first(props: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = props.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _old_units() -> list[Unit]:
    """The units that ended the day before the reform: wards, communes, and districts."""
    return list(Unit.objects.filter(valid_to=LEGACY_END)
                .filter(kind__in=(*COMMUNE_LEVEL, UnitKind.DISTRICT)).defer("boundary"))


def _old_shapes(collection: Mapping[str, Any], olds: list[Unit]) -> tuple[dict[int, BaseGeometry],
                                                                         list[str]]:
    """The old units' polygons, matched by code (codes were unique), else by a unique name."""
    by_code = {u.code: u for u in olds}
    by_name: dict[str, list[Unit]] = {}
    for old in olds:
        by_name.setdefault(search_key(old.name), []).append(old)
    shapes: dict[int, BaseGeometry] = {}
    unmatched: list[str] = []
    for index, feature in enumerate(collection.get("features") or []):
        props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
        code = _first(props, _CODE_KEYS).lstrip("0")
        name = _first(props, _NAME_KEYS)
        unit: Unit | None = by_code.get(code) if code else None
        if unit is None and name:
            candidates = by_name.get(search_key(name), [])
            unit = candidates[0] if len(candidates) == 1 else None
        try:
            geom = area_shape(feature.get("geometry") if isinstance(feature, dict) else None)
        except BadGeometry:
            unit = None
        if unit is None:
            unmatched.append(name or code or f"#{index}")
            continue
        shapes[unit.pk] = shapes[unit.pk].union(geom) if unit.pk in shapes else geom
    return shapes, unmatched


def derive_boundaries(collection: Mapping[str, Any], *, source: str, licence: str,
                      day: dt.date = REFORM_DAY) -> Derivation:
    """The new units' boundaries from a FeatureCollection of the pre-2025 units' polygons.

    The answer is a FeatureCollection that `import_boundaries` takes as it is.
    """
    olds = _old_units()
    shapes, unmatched = _old_shapes(collection, olds)
    old_by_pk = {u.pk: u for u in olds}
    news = list(Unit.objects.active_on(day).filter(kind__in=COMMUNE_LEVEL,
                                                   parent__code=PROVINCE_CODE)
                .defer("boundary").order_by("code"))
    new_pks = {u.pk for u in news}
    links = list(UnitSuccession.objects.filter(predecessor_id__in=old_by_pk,
                                               successor_id__in=new_pks))
    heirs: dict[int, list[UnitSuccession]] = {}
    for link in links:
        heirs.setdefault(link.predecessor_id, []).append(link)

    parts: dict[int, list[BaseGeometry]] = {u.pk: [] for u in news}
    notes: dict[int, list[str]] = {u.pk: [] for u in news}
    new_by_pk = {u.pk: u for u in news}
    for old_pk, geom in shapes.items():
        succession = heirs.get(old_pk, [])
        if not succession:
            continue
        old = old_by_pk[old_pk]
        if len(succession) == 1:
            parts[succession[0].successor_id].append(geom)
            continue
        primary = next((s for s in succession if s.is_primary), succession[0])
        parts[primary.successor_id].append(geom)
        names = ", ".join(sorted(new_by_pk[s.successor_id].name for s in succession))
        note = f"{old.name} was split between {names}; its whole area is drawn in " \
               f"{new_by_pk[primary.successor_id].name}"
        for s in succession:
            notes[s.successor_id].append(note)

    features: list[dict[str, Any]] = []
    without: list[str] = []
    for unit in news:
        if not parts[unit.pk]:
            without.append(unit.name)
            continue
        merged = shapely.union_all(parts[unit.pk])
        light = shapely.set_precision(
            merged.simplify(DERIVED_TOLERANCE_DEG, preserve_topology=True),
            10 ** -DERIVED_DECIMALS)
        if light.is_empty:
            light = merged
        features.append({
            "type": "Feature",
            "geometry": mapping(light),
            "properties": {
                "code": unit.code, "name": unit.name, "source": source, "licence": licence,
                "approximate": bool(notes[unit.pk]),
                "approximate_note": "; ".join(notes[unit.pk])[:255],
            },
        })
    return Derivation(collection={"type": "FeatureCollection", "features": features},
                      unmatched=unmatched, without_boundary=without)
