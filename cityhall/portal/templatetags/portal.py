"""Template helpers of the portal: stable links to units and the current page."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from cityhall.orgunits.models import Unit

register = template.Library()


@register.filter
def unit_url(unit: Unit) -> str:
    """The unit's page; an ended unit's link carries its last day, as codes get reused."""
    url = reverse("portal:unit_detail", args=[unit.code])
    if unit.valid_to is not None:
        url += "?" + urlencode({"on": unit.valid_to.isoformat()})
    return url


@register.filter
def is_ended(unit: Unit) -> bool:
    """Whether the unit's validity ended before today."""
    return unit.valid_to is not None and unit.valid_to < timezone.localdate()
