"""GeoReport v2's query parameters as Django forms: each parameter a field, checked by the
form, its errors answered as Open311 error descriptions naming the parameter.

The fields Django lacks are the protocol's own: comma-delimited lists (also repeated
parameters), W3C date-times with a zone (a bare date is its start in UTC), true/false
switches and `bbox`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Literal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityhall.open311.params import Open311Error
from cityhall.reports.filters import MAX_RADIUS_M

BBox = tuple[float, float, float, float]


def _stripped(value: Any) -> str:
    return str(value or "").strip()


class CommaListField(forms.Field):
    """A comma-delimited list, also given as repeated parameters; empty entries dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        given = value if isinstance(value, list | tuple) else [value] if value else []
        return [part.strip() for raw in given for part in str(raw).split(",") if part.strip()]


class MomentField(forms.Field):
    """A W3C date-time with a time zone, or a bare date (its start in UTC); absent is None."""

    default_error_messages = {"invalid": gettext_lazy(
        "a W3C date-time with a time zone is expected, such as 2026-03-02T09:00:00+07:00.")}

    def to_python(self, value: Any) -> dt.datetime | None:
        raw = _stripped(value)
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
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return found


class SwitchField(forms.Field):
    """true, 1, yes or false, 0, no; absent is false."""

    default_error_messages = {"invalid": gettext_lazy("true or false is expected.")}

    def to_python(self, value: Any) -> bool:
        raw = _stripped(value).lower()
        if raw in ("", "false", "0", "no"):
            return False
        if raw in ("true", "1", "yes"):
            return True
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class BBoxField(forms.Field):
    """`min_lat,min_long,max_lat,max_long` (south, west, north, east); absent is None."""

    default_error_messages = {"invalid": gettext_lazy(
        "min_lat,min_long,max_lat,max_long (south, west, north, east) is expected.")}

    def to_python(self, value: Any) -> BBox | None:
        raw = _stripped(value)
        if not raw:
            return None
        try:
            box = tuple(float(part) for part in raw.split(","))
        except ValueError:
            box = ()
        if len(box) == 4 and all(math.isfinite(v) for v in box):
            south, west, north, east = box
            if -90 <= south <= north <= 90 and -180 <= west <= east <= 180:
                return south, west, north, east
        raise ValidationError(self.error_messages["invalid"], code="invalid")


def _number(low: float, high: float) -> forms.FloatField:
    # Django's FloatField refuses NaN and the infinities.
    return forms.FloatField(required=False, min_value=low, max_value=high)


class Open311Form(forms.Form):
    """A form whose errors become one Open311 error description per problem."""

    def checked(self) -> dict[str, Any]:
        """The cleaned parameters; raises `Open311Error` (400) naming each bad one."""
        if self.is_valid():
            return self.cleaned_data
        lines = []
        for name, errors in self.errors.items():
            for message in errors:
                lines.append(str(message) if name == "__all__" else f"{name}: {message}")
        raise Open311Error(400, *lines)


class RequestsQuery(Open311Form):
    """The parameters of `GET requests`: ids, codes, dates, status, a place, a page."""

    MAX_PAGE_SIZE = 1000
    #: The deepest row a page may reach (page times page_size): a deep OFFSET reads and
    #: drops every row before it, so an older page is reached by narrowing the dates.
    MAX_DEPTH = 10_000

    service_request_id = CommaListField(required=False)
    service_code = CommaListField(required=False)
    start_date = MomentField(required=False)
    end_date = MomentField(required=False)
    updated_after = MomentField(required=False)
    updated_before = MomentField(required=False)
    status = CommaListField(required=False)
    lat = _number(-90, 90)
    long = _number(-180, 180)
    radius = _number(1, MAX_RADIUS_M)  # the reports' filter's own bound
    bbox = BBoxField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)
    extensions = SwitchField(required=False)

    def clean_status(self) -> Literal["open", "closed"] | None:
        given = {value.lower() for value in self.cleaned_data["status"]}
        if not given <= {"open", "closed"}:
            raise ValidationError(_("open or closed is expected."), code="invalid")
        if given == {"open"}:
            return "open"
        if given == {"closed"}:
            return "closed"
        return None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        page, size = data.get("page") or 1, data.get("page_size") or self.MAX_PAGE_SIZE
        data["page"], data["page_size"] = page, size
        if (page - 1) * size + size > self.MAX_DEPTH:
            self.add_error(None, _(
                "A page may reach %(n)s requests deep at most (page times page_size); narrow "
                "start_date and end_date to go further back.") % {"n": f"{self.MAX_DEPTH:,}"})
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and start > end:
            self.add_error(None, _("start_date must not be after end_date."))
        lat, lon, radius = data.get("lat"), data.get("long"), data.get("radius")
        if "lat" in data and "long" in data and "radius" in data and (
            (lat is None) != (lon is None) or (radius is not None and lat is None)
        ):
            self.add_error(None, _("A radius search needs lat, long and radius (metres)."))
        return data
