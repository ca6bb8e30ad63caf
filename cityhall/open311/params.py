"""Reading Open311 parameters: an empty one is an absent one; a bad one is a 400."""

from __future__ import annotations

import math
import re
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _


class Open311Error(Exception):
    """A refusal answered as an Open311 error document with this HTTP status."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions)


def text(params: QueryDict, name: str) -> str:
    """The parameter, stripped; "" when absent or empty."""
    return (params.get(name) or "").strip()


def number(params: QueryDict, name: str, low: float, high: float) -> float | None:
    """A finite decimal number within [low, high], or None when absent."""
    raw = text(params, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise Open311Error(400, _("%(name)s must be a number from %(low)s to %(high)s.") % {
            "name": name, "low": low, "high": high})
    return value


_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def attributes(params: QueryDict) -> dict[str, Any]:
    """`attribute[code]` (one value) and `attribute[code][]` (a list), empty ones dropped."""
    found: dict[str, Any] = {}
    for key in params:
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        code = match.group(1).strip()
        values = [v for v in params.getlist(key) if v.strip()]
        if not values:
            continue
        if match.group(2) or len(values) > 1:
            previous = found.get(code, [])
            found[code] = [*(previous if isinstance(previous, list) else [previous]), *values]
        else:
            found.setdefault(code, values[0])
    return found
