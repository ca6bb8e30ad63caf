"""Reading Open311 parameters: an empty one is an absent one; a bad one is a 400."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.http import QueryDict
from django.utils.dateparse import parse_date, parse_datetime
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


def integer(params: QueryDict, name: str, default: int, low: int, high: int) -> int:
    """A whole number within [low, high], `default` when absent."""
    raw = text(params, name)
    if not raw:
        return default
    if not re.fullmatch(r"\d{1,9}", raw) or not low <= int(raw) <= high:
        raise Open311Error(400, _("%(name)s must be a whole number from %(low)s to %(high)s.")
                           % {"name": name, "low": low, "high": high})
    return int(raw)


def moment(params: QueryDict, name: str) -> dt.datetime | None:
    """A W3C date-time with a zone (or a bare date, taken as its start in UTC), or None."""
    raw = text(params, name)
    if not raw:
        return None
    # A "+" in a query string arrives as a space when the client did not encode it.
    candidate = re.sub(r" (\d\d:?\d\d)$", r"+\1", raw)
    try:
        # A bare date first: parse_datetime reads one as a naive midnight.
        day = parse_date(candidate)
        found = None if day is not None else parse_datetime(candidate)
    except ValueError:
        found = day = None
    if found is None and day is not None:
        found = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    if found is None or found.tzinfo is None:
        raise Open311Error(400, _(
            "%(name)s must be a W3C date-time with a time zone, such as "
            "2026-03-02T09:00:00+07:00.") % {"name": name})
    return found


def flag(params: QueryDict, name: str) -> bool:
    """A true/false switch (true, 1, yes); absent is false."""
    raw = text(params, name).lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise Open311Error(400, _("%(name)s must be true or false.") % {"name": name})


def comma_list(params: QueryDict, name: str) -> list[str]:
    """A comma-delimited list (also repeated parameters), without empty entries."""
    found: list[str] = []
    for raw in params.getlist(name):
        found.extend(part.strip() for part in raw.split(",") if part.strip())
    return found


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


def bbox(params: QueryDict) -> tuple[float, float, float, float] | None:
    """`bbox=min_lat,min_long,max_lat,max_long` (south, west, north, east), or None."""
    raw = text(params, "bbox")
    if not raw:
        return None
    parts = raw.split(",")
    try:
        box = tuple(float(p) for p in parts)
    except ValueError:
        box = ()
    ok = len(box) == 4 and all(math.isfinite(v) for v in box)
    if ok:
        south, west, north, east = box
        ok = -90 <= south <= north <= 90 and -180 <= west <= east <= 180
    if not ok:
        raise Open311Error(400, _(
            "bbox must be min_lat,min_long,max_lat,max_long (south, west, north, east)."))
    return box  # type: ignore[return-value]

