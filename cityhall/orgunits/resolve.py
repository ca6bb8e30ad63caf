"""Place resolution: which commune-level unit an address or a point belongs to.

Resolution never leaves the machine. Addresses are parsed with vietnamadminunits' offline
parsers only (`parse_address`, without the street); its `convert_address` is never called
here, because for a split ward with a street it asks an online geocoder (ArcGIS), which
would send a resident's address abroad and fail offline. Old units are followed to their
successors through the registry's own UnitSuccession links, built from the converter's
tables by `load_units`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from cityhall.core.localcache import ProcessCache
from cityhall.core.text import search_key
from cityhall.orgunits.geo import BadGeometry, PolygonIndex, area_shape, distance_km
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind, UnitSuccession
from cityhall.orgunits.sources import LEGACY_PROVINCES, PROVINCE_CODE

#: How long another process may go on using the registry it cached (seconds).
REGISTRY_CACHE_SECONDS = 60.0
#: A point farther than this from every unit's centre is outside the city.
MAX_DISTANCE_KM = 30.0

METHOD_ADDRESS = "address"
METHOD_LEGACY_ADDRESS = "legacy_address"
METHOD_NEAREST_CENTRE = "nearest_centre"
METHOD_POINT_IN_POLYGON = "point_in_polygon"

# Abbreviations people type before a unit's name: "P. Sài Gòn", "X. Bình Chánh", "ĐK Côn Đảo".
_ABBREVIATIONS = {"p": "phuong", "x": "xa", "dk": "dac khu"}
_MAX_SUCCESSION_HOPS = 10


class UnknownPlace(LookupError):
    """The address or point does not lie in any unit of the city that we know."""


@dataclass(frozen=True)
class Resolution:
    """The unit a place belongs to, how it was found, and why, in words."""

    unit: Unit
    method: str
    reason: str
    #: The old unit named by a legacy address, when there was one.
    legacy_unit: Unit | None = None
    #: True when the old unit was split and the answer is its primary successor.
    split: bool = False
    #: The other units that took part of a split old unit.
    alternatives: tuple[Unit, ...] = field(default_factory=tuple)
    #: True when the point was placed by a boundary marked approximate.
    approximate: bool = False
    #: Builds `reason` again in the active language (for words kept in each language).
    explain: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def reason_here(self) -> str:
        """`reason` in the active language, without resolving the place again."""
        return self.explain() if self.explain is not None else self.reason


def _day_text(day: dt.date) -> str:
    # The language's own date format (cityhall/core/formats): 01/07/2025, 1 July 2025.
    return formats.date_format(day, "DATE_FORMAT")


def _expand(key: str) -> str:
    return " ".join(_ABBREVIATIONS.get(word, word) for word in key.split())


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def _active_units(day: dt.date) -> list[Unit]:
    return list(
        Unit.objects.active_on(day).filter(kind__in=COMMUNE_LEVEL, parent__code=PROVINCE_CODE)
        .defer("boundary")
    )


@dataclass(frozen=True)
class _Trail:
    """The way from an old unit to today's: the last link taken and the last split met."""

    unit: Unit
    last_link: UnitSuccession | None
    split_from: Unit | None
    split_primary: Unit | None
    split_others: tuple[Unit, ...]


def _ended_units(day: dt.date) -> list[Unit]:
    """Commune-level units of the two-level era that ended before `day`."""
    return list(
        Unit.objects.filter(kind__in=COMMUNE_LEVEL, valid_from__isnull=False,
                            valid_to__lt=day, parent__code=PROVINCE_CODE)
        .select_related("parent").defer("boundary")
    )


def _follow(unit: Unit, day: dt.date) -> _Trail:
    """The unit active on `day` that took over `unit`'s open work, through primary links."""
    last_link: UnitSuccession | None = None
    split_from: Unit | None = None
    split_primary: Unit | None = None
    split_others: tuple[Unit, ...] = ()
    current = unit
    for _hop in range(_MAX_SUCCESSION_HOPS):
        if current.is_active_on(day):
            return _Trail(current, last_link, split_from, split_primary, split_others)
        links = list(
            UnitSuccession.objects.filter(predecessor=current).select_related("successor")
        )
        primary = next((link for link in links if link.is_primary), None)
        if primary is None:
            break
        others = tuple(link.successor for link in links if not link.is_primary)
        if others:
            split_from, split_primary, split_others = current, primary.successor, others
        last_link = primary
        current = primary.successor
    raise UnknownPlace(_("%(unit)s has no successor active on %(day)s.")
                       % {"unit": unit.name, "day": _day_text(day)})


def _legacy_unit(text: str) -> Unit | None:
    """The ended ward (or island district) a pre-July-2025 address names, if it names one."""
    from vietnamadminunits import ParseMode, parse_address

    # keep_street=False: the street is dropped at once and never used.
    old = parse_address(text, mode=ParseMode.LEGACY, keep_street=False, level=3)
    if old.province_code not in LEGACY_PROVINCES or not old.district_code:
        return None
    ended = Unit.objects.filter(valid_to__isnull=False).select_related("parent")
    if old.ward_code:
        ward = (
            ended.filter(code=old.ward_code, kind__in=COMMUNE_LEVEL,
                         parent__code=old.district_code)
            .order_by("-valid_to").first()
        )
        return None if ward is None or _read_across_words(text, ward.name) else ward
    if old.district_key == "huyencondao":
        # Côn Đảo had no wards; the district itself is the old unit.
        return ended.filter(code=old.district_code, kind=UnitKind.DISTRICT).first()
    return None


_KIND_WORDS = re.compile(r"^(phuong|xa|thi tran|dac khu) ")


def _read_across_words(text: str, name: str) -> bool:
    """Whether the parser found the ward `name` only by reading across words.

    The legacy parser compares names without spaces, so "vo van ngAN PHUong thu duc" held
    Phường An Phú. A name written as words is a match; one found only across words is
    not. (A name the address does not hold at all is the parser's own alias, such as
    Phường 6, Quận 3 for Võ Thị Sáu, and stands.)
    """
    words = _KIND_WORDS.sub("", search_key(name))
    key = f" {_expand(search_key(text))} "
    if f" {words} " in key:
        return False
    return words.replace(" ", "") in key.replace(" ", "")


def _new_style_unit(text: str, units: list[Unit]) -> Unit | None:
    """The active unit whose full name appears in the address (the last one written wins)."""
    key = f" {_expand(search_key(text))} "
    found: list[tuple[int, int, Unit]] = []
    for unit in units:
        needle = f" {search_key(unit.name)} "
        position = key.rfind(needle)
        if position >= 0:
            found.append((position + len(needle), len(needle), unit))
    if not found:
        return None
    best = max(found, key=lambda f: (f[0], f[1]))
    tied = [f[2] for f in found if (f[0], f[1]) == (best[0], best[1])]
    if len(tied) == 1:
        return tied[0]
    # Names that fold alike (Xã Thanh An, Xã Thạnh An): the diacritics decide.
    exact = [u for u in tied if _nfc(u.name) in _nfc(text)]
    return exact[0] if len(exact) == 1 else None


def _parsed_unit(text: str, units: list[Unit]) -> tuple[Unit | None, str | None]:
    """Ask the offline 2025 parser; return the unit and the province code it read."""
    from vietnamadminunits import ParseMode, parse_address

    parsed = parse_address(text, mode=ParseMode.FROM_2025, keep_street=False, level=2)
    unit = None
    if parsed.province_code == PROVINCE_CODE and parsed.ward:
        unit = next((u for u in units if _nfc(u.name) == _nfc(parsed.ward)), None)
    return unit, parsed.province_code


def resolve_address(text: str, *, day: dt.date | None = None) -> Resolution:
    """Resolve a new-style or pre-July-2025 address to the unit active on `day` (today)."""
    day = day or timezone.localdate()
    text = " ".join((text or "").split())
    if not search_key(text):
        raise UnknownPlace(_("The address is empty."))

    legacy = _legacy_unit(text)
    if legacy is not None:
        return _via_successors(legacy, day)

    units = _active_units(day)
    parsed_unit, province_code = _parsed_unit(text, units)
    if province_code and province_code != PROVINCE_CODE:
        raise UnknownPlace(_("The address is not in Ho Chi Minh City."))
    unit = _new_style_unit(text, units) or parsed_unit
    if unit is None:
        # A unit created in 2025 that has since merged or split: follow it to today's.
        ended = _new_style_unit(text, _ended_units(day))
        if ended is not None:
            return _via_successors(ended, day)
        raise UnknownPlace(_("No ward, commune or special zone of the city matches the address."))
    def words() -> str:
        return _("%(unit)s: the address names this unit.") % {"unit": unit.name}

    return Resolution(unit=unit, method=METHOD_ADDRESS, reason=words(), explain=words)


def _via_successors(legacy: Unit, day: dt.date) -> Resolution:
    """Answer for an address naming an ended unit: its successor active on `day`."""
    trail = _follow(legacy, day)
    unit = trail.unit
    old_name = f"{legacy.name}, {legacy.parent.name}" if legacy.parent else legacy.name
    since = trail.last_link.effective_on if trail.last_link else legacy.valid_to or day
    def words() -> str:
        reason = _("%(unit)s: the address '%(old)s' lies there since %(day)s.") % {
            "unit": unit.name, "old": old_name, "day": _day_text(since),
        }
        if trail.split_from is not None:
            reason += " " + _(
                "%(old)s was split between %(units)s; an address without a street goes to "
                "%(unit)s, which took over its open work."
            ) % {
                "old": trail.split_from.name,
                "units": ", ".join(u.name for u in [trail.split_primary, *trail.split_others]
                                   if u is not None),
                "unit": trail.split_primary.name if trail.split_primary else unit.name,
            }
        return reason

    return Resolution(unit=unit, method=METHOD_LEGACY_ADDRESS, reason=words(), explain=words,
                      legacy_unit=legacy, split=trail.split_from is not None,
                      alternatives=trail.split_others)


@dataclass(frozen=True)
class _PointUnits:
    """What a point is matched against: the boundaries under a spatial index, and centres."""

    boundaries: PolygonIndex
    centred: tuple[Unit, ...]


# The units looked up by code (a dossier's receiving unit, a category's department): kept per
# process and day like the rest of the registry, emptied when a unit is saved.
_BY_CODE: ProcessCache[Unit | None] = ProcessCache(
    "orgunits.by_code", ttl=REGISTRY_CACHE_SECONDS, models=(Unit,), keep_none=False)


def active_unit(code: str, day: dt.date) -> Unit | None:
    """The unit with `code` active on `day` (None if there is none), without its boundary
    (a large polygon once imported, which no caller of this needs)."""
    return _BY_CODE.get((code, day), lambda: Unit.objects.active_on(day).defer("boundary")
                        .filter(code=code).first())


# The units a point is matched against change only with the registry (a reorganisation,
# boundaries imported): kept per process and day, emptied when a unit is saved.
_POINT_UNITS: ProcessCache[_PointUnits] = ProcessCache(
    "orgunits.point_units", ttl=REGISTRY_CACHE_SECONDS, models=(Unit,))


def _point_units(day: dt.date) -> _PointUnits:
    """The active commune-level units: an STRtree of their boundaries, and their centres."""

    def load() -> _PointUnits:
        active = Unit.objects.active_on(day).filter(kind__in=COMMUNE_LEVEL,
                                                    parent__code=PROVINCE_CODE)
        # Units without their geometry (it lives in the index), so a cached unit saved by
        # mistake could never write a stale boundary back.
        units = list(active.defer("boundary"))
        by_pk = {u.pk: u for u in units}
        shaped: list[tuple[Unit, BaseGeometry]] = []
        for pk, geometry in active.filter(boundary__isnull=False).values_list("pk", "boundary"):
            try:
                shaped.append((by_pk[pk], area_shape(geometry)))
            except (BadGeometry, KeyError):
                continue
        return _PointUnits(
            boundaries=PolygonIndex.build(shaped),
            centred=tuple(u for u in units if u.latitude is not None and u.longitude is not None),
        )

    return _POINT_UNITS.get(day, load)


def _inside_reason(unit: Unit) -> str:
    reason = _("The point lies inside the boundary of %(unit)s.") % {"unit": unit.local_name}
    if unit.boundary_approximate:
        reason += " " + _("Part of that boundary is approximate; staff will move the report "
                          "if it belongs to a neighbouring unit.")
    return reason


def resolve_point(lat: float, lon: float, *, day: dt.date | None = None) -> Resolution:
    """Resolve a point (WGS 84) to the commune-level unit active on `day` (today).

    Boundaries answer first (shapely, through the STRtree); where none covers the point,
    the unit with the nearest centre (weighed by area) does, and the reason says so.
    """
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180):
        raise UnknownPlace(_("The coordinates are out of range."))
    day = day or timezone.localdate()
    known = _point_units(day)
    covering: list[Unit] = known.boundaries.covering(lat, lon)
    if covering:
        # On a shared edge two units cover the point: an exact boundary beats an
        # approximate one, then the lower code decides, so the answer never wavers.
        unit = min(covering, key=lambda u: (u.boundary_approximate, u.code))
        inside = unit
        return Resolution(unit=unit, method=METHOD_POINT_IN_POLYGON, reason=_inside_reason(unit),
                          approximate=unit.boundary_approximate,
                          explain=lambda: _inside_reason(inside))

    best: tuple[float, float, Unit] | None = None
    nearest_km = math.inf
    for unit in known.centred:
        km = distance_km(lat, lon, unit.latitude or 0.0, unit.longitude or 0.0)
        nearest_km = min(nearest_km, km)
        # A large commune's centre is far from its edges: weigh distance by the unit's size.
        score = km / math.sqrt(unit.area_km2) if unit.area_km2 else km
        if best is None or score < best[0]:
            best = (score, km, unit)
    if best is None:
        raise UnknownPlace(_("No unit of the city has a known centre."))
    if nearest_km > MAX_DISTANCE_KM:
        raise UnknownPlace(_("The point is outside Ho Chi Minh City."))
    unit, km = best[2], best[1]
    nearest, away = best[2], best[1]

    def words() -> str:
        return _(
            "No ward boundary is on record for this place, so it was matched to %(unit)s, "
            "whose centre is %(km)s km away; staff will move the report if it belongs "
            "elsewhere."
        ) % {"unit": nearest.local_name, "km": formats.number_format(away, 1)}

    return Resolution(unit=unit, method=METHOD_NEAREST_CENTRE, reason=words(), explain=words)
