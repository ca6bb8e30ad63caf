"""Which reports a list shows: one definition for the API, the web pages and Open311.

Every interface reads its own parameters (the API's query string, a page's form, Open311's
GeoReport names) into a `ReportFilter`, and `ReportFilter.apply` narrows a queryset the
caller has already scoped (`Report.objects.visible_to(user)` or `.public()`). What a
criterion means ("open", "overdue", "near", a unit's code) is written here once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal, Self

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)

from cityhall.core.api import Moment as ApiMoment
from cityhall.core.api import text
from cityhall.core.localcache import ProcessCache
from cityhall.reports.models import Category, Channel
from cityhall.reports.queries import ReportQuerySet, normalise_code
from cityhall.reports.states import OPEN_STATES, STATES

#: The widest radius a "near" search takes, in metres.
MAX_RADIUS_M = 50_000.0
Code = Annotated[str, text(64, min_length=1)]
#: The longest box or circle a query string gives (six-decimal numbers and commas).
_MAX_NUMBERS = 120
_NUMBER = r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"
#: Numbers separated by commas, as the document's pattern says and the reader checks.
NUMBERS = rf"^{_NUMBER}(,{_NUMBER})*$"
_NUMBERS = re.compile(NUMBERS)
State = Literal[STATES]  # type: ignore[valid-type]


def _read_numbers(value: Any) -> Any:
    """Comma-separated numbers in a query string as a tuple; other values as given."""
    if isinstance(value, str):
        if len(value) > _MAX_NUMBERS or not _NUMBERS.fullmatch(value):
            raise ValueError(_("Give numbers separated by commas."))
        return tuple(float(part) for part in value.split(","))
    return value


def _check_bbox(value: tuple[float, ...]) -> tuple[float, ...]:
    ok = len(value) == 4 and all(math.isfinite(v) for v in value)
    if ok:
        south, west, north, east = value
        ok = -90 <= south <= north <= 90 and -180 <= west <= east <= 180
    if not ok:
        raise ValueError(_("Give the box as south,west,north,east."))
    return value


def _check_near(value: tuple[float, ...]) -> tuple[float, ...]:
    ok = len(value) == 3 and all(math.isfinite(v) for v in value)
    if ok:
        lat, lon, radius = value
        ok = -90 <= lat <= 90 and -180 <= lon <= 180 and 1 <= radius <= MAX_RADIUS_M
    if not ok:
        raise ValueError(_("A radius search needs lat, long and radius (metres)."))
    return value


def _as_utc(value: dt.datetime) -> dt.datetime:
    """A moment in UTC; a moment without a zone is taken in the city's time.

    PostgreSQL refuses offsets past ±15:59 that Python accepts (+21:14), so the database is
    only ever given UTC.
    """
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(dt.UTC)


#: A moment as the API takes it (RFC 3339, or without the offset in the city's time; from
#: Python, with or without its zone), passed on in UTC.
Moment = Annotated[ApiMoment, AfterValidator(_as_utc)]
#: A box as `south,west,north,east` in degrees, latitude first (as Open311's extension).
BBox = Annotated[
    tuple[float, ...], BeforeValidator(_read_numbers), AfterValidator(_check_bbox),
    WithJsonSchema({"type": "string", "example": "10.75,106.65,10.80,106.72",
                    "maxLength": _MAX_NUMBERS, "pattern": NUMBERS,
                    "description": "south,west,north,east in degrees."}),
]
#: A circle as `latitude,longitude,radius` (degrees, degrees, metres).
Near = Annotated[
    tuple[float, ...], BeforeValidator(_read_numbers), AfterValidator(_check_near),
    WithJsonSchema({"type": "string", "example": "10.7769,106.7009,500",
                    "maxLength": _MAX_NUMBERS, "pattern": NUMBERS,
                    "description": "latitude,longitude,radius in degrees and metres."}),
]


class PublicReportFilter(Schema):
    """What anyone may narrow the public reports by: no staff data among the criteria."""

    model_config = ConfigDict(extra="forbid")

    code: list[Code] = Field(
        default_factory=list, max_length=200, description="Report codes (any of them).")
    state: State | None = Field(default=None, description="One state.")
    status: Literal["open", "closed"] | None = Field(
        default=None, description="`open`: received, assigned or in progress; `closed`: any other.")
    category: list[Code] = Field(
        default_factory=list, max_length=100, description="Category codes (any of them).")
    unit: Annotated[str, text(32)] | None = Field(
        default=None, description="The code of the unit in service handling it.")
    received_after: Moment | None = Field(default=None, description="Received at or after.")
    received_before: Moment | None = Field(default=None, description="Received before.")
    updated_after: Moment | None = Field(default=None, description="Changed after.")
    updated_before: Moment | None = Field(default=None, description="Changed before.")
    bbox: BBox | None = None
    near: Near | None = None

    @model_validator(mode="after")
    def _check_period(self) -> Self:
        if self.received_after and self.received_before \
                and self.received_after > self.received_before:
            raise ValueError(_("The start of the period must not be after its end."))
        return self

    # The ids of the categories asked for, looked up once per filter.
    _category_ids: dict[str, int] | None = PrivateAttr(default=None)

    def category_ids(self) -> dict[str, int]:
        """The ids of the categories asked for, by code (unknown codes left out)."""
        if self._category_ids is None:
            self._category_ids = category_ids(self.category)
        return self._category_ids

    def unknown_categories(self) -> list[str]:
        """The category codes asked for that no category has."""
        known = self.category_ids()
        return [code for code in self.category if code not in known]

    def apply(self, reports: ReportQuerySet, *, user: Any = None) -> ReportQuerySet:
        """Narrow `reports` (already scoped by the caller) to what the criteria ask for."""
        qs = reports
        if self.code:
            qs = qs.filter(code__in=[normalise_code(c) for c in self.code])
        if self.state:
            qs = qs.filter(state=self.state)
        if self.status == "open":
            qs = qs.open()
        elif self.status == "closed":
            qs = qs.exclude(state__in=OPEN_STATES)
        if self.category:
            # By id, from a per-process map: the page query needs no join with categories.
            qs = qs.filter(category_id__in=list(self.category_ids().values()))
        if self.unit:
            # Codes are reused by new units: only the one in service is meant.
            qs = qs.filter(unit__code=self.unit, unit__valid_to__isnull=True)
        qs = qs.received_between(self.received_after, self.received_before)
        if self.updated_after is not None:
            qs = qs.filter(updated_at__gt=self.updated_after)
        if self.updated_before is not None:
            qs = qs.filter(updated_at__lt=self.updated_before)
        if self.near is not None:
            lat, lon, radius = self.near
            qs = qs.nearby(lat, lon, radius)
        if self.bbox is not None:
            south, west, north, east = self.bbox
            qs = qs.filter(latitude__range=(south, north), longitude__range=(west, east))
        return qs

    def as_query(self) -> dict[str, str]:
        """The criteria that are set, as query-string values (for links to other pages)."""
        found: dict[str, str] = {}
        for name, value in self.model_dump(exclude_defaults=True).items():
            if isinstance(value, list | tuple):
                found[name] = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                found[name] = "1"
            elif isinstance(value, dt.datetime):
                found[name] = value.isoformat()
            else:
                found[name] = str(value)
        return found


class ReportFilter(PublicReportFilter):
    """What staff narrow the reports in their scope by: the public criteria and the work's."""

    assignee: Annotated[str, text(150)] | None = Field(
        default=None,
        description="A username; `me` for the caller, `none` for reports nobody has.")
    channel: Channel | None = None
    overdue: bool = Field(default=False, description="Open reports past their deadline.")
    due_soon: bool = Field(
        default=False, description="Open reports due within the next working day.")

    def apply(self, reports: ReportQuerySet, *, user: Any = None) -> ReportQuerySet:
        """The public criteria, then the work's; `user` is who `assignee=me` means."""
        qs = super().apply(reports)
        if self.assignee == "me":
            qs = qs.filter(assignee=user) if user is not None else qs.none()
        elif self.assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee:
            qs = qs.filter(assignee__username=self.assignee)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.overdue:
            qs = qs.overdue()
        if self.due_soon:
            qs = qs.due_soon()
        return qs


# Every category's id by code: a few dozen rows, kept per process, emptied on save.
_CATEGORY_IDS: ProcessCache[dict[str, int]] = ProcessCache(
    "reports.category_ids", ttl=60.0, models=(Category,))


def category_ids(codes: list[str]) -> dict[str, int]:
    """The ids of the categories with these codes (at most one query)."""
    if not codes:
        return {}
    every = _CATEGORY_IDS.get("all", lambda: dict(Category.objects.values_list("code", "pk")))
    return {code: every[code] for code in codes if code in every}
