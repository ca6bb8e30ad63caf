"""Registry endpoints: public reads of units and place resolution."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from cityhall.core.api import MAX_OFFSET, NO_NUL, ApiError, Day, ErrorOut
from cityhall.core.errors import Common
from cityhall.orgunits.errors import RegistryCode
from cityhall.orgunits.geo import BadGeometry
from cityhall.orgunits.maps import boundary_feature
from cityhall.orgunits.models import Unit, UnitKind, UnitQuerySet, UnitSuccession
from cityhall.orgunits.resolve import UnknownPlace, resolve_address, resolve_point

router = Router(tags=["units"], auth=None)

_ERRORS: dict[int, Any] = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class UnitOut(Schema):
    """A unit as the registry lists it."""

    code: str
    name: str
    short_name: str
    name_en: str
    kind: UnitKind
    parent: str | None
    electronic_id: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    latitude: float | None
    longitude: float | None
    area_km2: float | None

    @staticmethod
    def resolve_parent(obj: Unit) -> str | None:
        return obj.parent.code if obj.parent is not None else None

    @staticmethod
    def resolve_electronic_id(obj: Unit) -> str | None:
        return obj.electronic_id or None


class UnitPage(Schema):
    """One page of units."""

    count: int
    items: list[UnitOut]


class SuccessionOut(Schema):
    """A predecessor or successor of a unit, and the day the change took effect."""

    code: str
    name: str
    effective_on: dt.date
    is_primary: bool


class UnitDetailOut(UnitOut):
    """One unit with its place in the tree and its history."""

    children_count: int
    predecessors: list[SuccessionOut]
    successors: list[SuccessionOut]

    # The model's own `predecessors`/`successors` are managers; the view attaches the links.
    @staticmethod
    def resolve_predecessors(obj: Unit) -> list[dict[str, Any]]:
        return obj.links_before  # type: ignore[attr-defined]

    @staticmethod
    def resolve_successors(obj: Unit) -> list[dict[str, Any]]:
        return obj.links_after  # type: ignore[attr-defined]


class ResolutionOut(Schema):
    """Where a place belongs, how that was found, and why."""

    unit: UnitOut
    method: str
    reason: str
    split: bool
    alternatives: list[UnitOut]
    approximate: bool = Field(
        False, description="The point was placed by a boundary marked approximate.")


def _units() -> UnitQuerySet:
    # parent is read by every item: one join instead of one query per row.
    return Unit.objects.select_related("parent").defer("boundary", "parent__boundary")


@router.get("", response={200: UnitPage, **_ERRORS}, summary="List units")
def list_units(
    request: HttpRequest,
    kind: UnitKind | None = None,
    parent: str | None = Query(None, max_length=32, pattern=NO_NUL),
    q: str | None = Query(None, max_length=200, pattern=NO_NUL),
    active_on: Day | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """Units active on `active_on` (today), filtered by kind, parent code and name."""
    units = _units().active_on(active_on or timezone.localdate())
    if kind:
        units = units.filter(kind=kind)
    if parent:
        units = units.filter(parent__code=parent)
    if q:
        units = units.search(q)
    units = units.order_by("path", "pk")
    return {"count": units.count(), "items": list(units[offset : offset + limit])}


@router.get("/resolve", response={200: ResolutionOut, **_ERRORS}, summary="Resolve a place")
def resolve_place(
    request: HttpRequest,
    address: str | None = Query(None, max_length=500, pattern=NO_NUL),
    lat: float | None = Query(None, ge=-90, le=90),
    lon: float | None = Query(None, ge=-180, le=180),
    active_on: Day | None = None,
) -> dict[str, Any]:
    """The ward, commune or special zone an address (new or pre-July-2025) or a point is in."""
    try:
        if address is not None and address.strip():
            found = resolve_address(address, day=active_on)
        elif lat is not None and lon is not None:
            found = resolve_point(lat, lon, day=active_on)
        else:
            raise ApiError(
                RegistryCode.MISSING_PARAMETER, _("Give either an address, or both lat and lon.")
            )
    except UnknownPlace as exc:
        raise ApiError(RegistryCode.UNKNOWN_PLACE, str(exc)) from exc
    return {
        "unit": found.unit,
        "method": found.method,
        "reason": found.reason,
        "split": found.split,
        "alternatives": list(found.alternatives),
        "approximate": found.approximate,
    }


class GeometryOut(Schema):
    """A GeoJSON Polygon or MultiPolygon, longitude before latitude (WGS 84)."""

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]


class BoundaryPropertiesOut(Schema):
    """Whose unit this is, and where its boundary came from."""

    code: str
    name: str
    name_en: str
    approximate: bool = Field(description="True where the boundary differs from the legal one.")
    approximate_note: str = Field(description="Why it is approximate; empty when it is not.")
    source: str
    licence: str
    bbox: list[float] = Field(description="west, south, east, north in degrees.")
    detail: Literal["full", "map"]


class BoundaryOut(Schema):
    """A unit's boundary as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: str
    geometry: GeometryOut
    properties: BoundaryPropertiesOut


def _links(unit: Unit) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    links = UnitSuccession.objects.filter(Q(predecessor=unit) | Q(successor=unit)).select_related(
        "predecessor", "successor"
    ).order_by("effective_on", "pk")
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    for link in links:
        if link.successor_id == unit.pk:
            other, bucket = link.predecessor, before
        else:
            other, bucket = link.successor, after
        bucket.append({"code": other.code, "name": other.name,
                       "effective_on": link.effective_on, "is_primary": link.is_primary})
    return before, after


def _unit_by_code(code: str, day: dt.date) -> Unit:
    """The unit with `code` active on `day`, else the latest that ended; 404 when none."""
    with_code = _units().filter(code=code)
    unit = with_code.active_on(day).first() or with_code.filter(
        valid_to__isnull=False
    ).order_by("-valid_to", "-pk").first()
    if unit is None:
        raise ApiError(Common.NOT_FOUND, _("No unit has the code %(code)s.") % {"code": code})
    return unit


@router.get("/{code}/boundary", response={200: BoundaryOut, **_ERRORS},
            summary="A unit's boundary (GeoJSON)")
def get_unit_boundary(
    request: HttpRequest,
    code: str = Path(..., max_length=32, pattern=NO_NUL),
    detail: Literal["full", "map"] = Query(
        "full", description="`map`: simplified (about 20 m) and rounded to about 1 m."),
    active_on: Day | None = None,
) -> dict[str, Any]:
    """The boundary of the unit with `code`, with its source, licence and whether it is
    approximate; 404 when the unit is unknown or has no boundary on record."""
    unit = _unit_by_code(code, active_on or timezone.localdate())
    boundary = Unit.objects.filter(pk=unit.pk).values_list("boundary", flat=True).first()
    unit.boundary = boundary
    try:
        return boundary_feature(unit, detail=detail)
    except BadGeometry as exc:
        raise ApiError(RegistryCode.NO_BOUNDARY, _("No boundary is on record for %(unit)s.")
                       % {"unit": unit.local_name}) from exc


@router.get("/{code}", response={200: UnitDetailOut, **_ERRORS}, summary="One unit")
def get_unit(
    request: HttpRequest,
    code: str = Path(..., max_length=32, pattern=NO_NUL),
    active_on: Day | None = None,
) -> Unit:
    """The unit with `code` active on `active_on` (today), else the latest that ended."""
    day = active_on or timezone.localdate()
    unit = _unit_by_code(code, day)
    children = Unit.objects.filter(parent=unit)
    if unit.is_active_on(day):
        children = children.active_on(day)
    unit.children_count = children.count()  # type: ignore[attr-defined]
    unit.links_before, unit.links_after = _links(unit)  # type: ignore[attr-defined]
    return unit
