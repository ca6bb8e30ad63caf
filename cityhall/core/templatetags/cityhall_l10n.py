"""Numbers with units, in the reader's language: places on the globe and areas."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()


def _degrees(value: float, positive: str, negative: str) -> str:
    # 5 decimals: about a metre, as precise as a pin on a phone's map.
    hemisphere = positive if value >= 0 else negative
    return _("%(degrees)s° %(hemisphere)s") % {
        "degrees": number_format(abs(value), decimal_pos=5), "hemisphere": hemisphere}


@register.filter
def coordinates(place: Any) -> str:
    """A place's latitude and longitude in words of the reader's language ("" if unknown).

    `place` is anything with `latitude` and `longitude` (a unit, a report).
    """
    lat, lon = getattr(place, "latitude", None), getattr(place, "longitude", None)
    if lat is None or lon is None:
        return ""
    north, south = pgettext("compass point", "N"), pgettext("compass point", "S")
    east, west = pgettext("compass point", "E"), pgettext("compass point", "W")
    return _("%(latitude)s, %(longitude)s") % {
        "latitude": _degrees(float(lat), north, south),
        "longitude": _degrees(float(lon), east, west),
    }


@register.filter
def km2(value: float | None) -> str:
    """An area in square kilometres, two decimals, in the reader's number format."""
    if value is None:
        return ""
    return _("%(area)s km²") % {"area": number_format(float(value), decimal_pos=2)}
