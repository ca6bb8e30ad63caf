"""Indicator values as the reader writes numbers: percentages, counts, scores."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()

#: The typographic minus sign (U+2212), as a decrease is printed.
MINUS = "\u2212"


@register.filter
def shown(value: float | None, unit: str = "count") -> str:
    """A value in its unit, in the reader's number format; "no data" for None."""
    if value is None:
        return _("no data")
    if unit == "percent":
        return f"{number_format(value * 100, 1)} %"
    if unit == "count":
        return number_format(round(value), 0, force_grouping=True)
    return number_format(value, 2, force_grouping=True)


@register.filter
def change(pair: Any, unit: str = "count") -> str:
    """The change from the previous value to this one (points for percentages); "" if none."""
    now, before = pair
    if now is None or before is None:
        return ""
    delta = now - before
    sign = "+" if delta >= 0 else MINUS
    if unit == "percent":
        text = number_format(abs(delta) * 100, 1)
        return f"{sign}{text} " + _("points")
    if unit == "count":
        return sign + number_format(abs(round(delta)), 0, force_grouping=True)
    return sign + number_format(abs(delta), 2)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or None."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
