"""Reading reports: querysets named for the business."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from cityhall.core.text import search_key
from cityhall.orgunits.geo import distance_km
from cityhall.reports.states import OPEN_STATES
from cityhall.workflow.calendar_data import current_calendar
from cityhall.workflow.models import WorkflowCaseQuerySet

if TYPE_CHECKING:
    # Only in ReportQuerySet's quoted type argument, which pyflakes does not read.
    from cityhall.reports.models import Report  # noqa: F401

# Metres per degree of latitude, and of longitude at the equator (WGS 84, good to 0.5 %).
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0
#: Candidates above which `nearby` leaves the exact distance to the database.
NEARBY_EXACT_LIMIT = 5000


def normalise_code(code: str) -> str:
    """A report code as stored (upper case, no outer spaces), however it was typed."""
    return (code or "").strip().upper()


class CategoryQuerySet(models.QuerySet[Any]):
    def active(self) -> Self:
        return self.filter(is_active=True)

    def for_audience(self, audience: str) -> Self:
        """Categories offered to residents or to enterprises."""
        return self.filter(audience__in=[audience, "both"])

    def search(self, text: str) -> Self:
        """Categories whose names or keywords contain the words, without diacritics."""
        qs = self
        for word in search_key(text).split():
            qs = qs.filter(search_name__contains=word)
        return qs


class ReportQuerySet(WorkflowCaseQuerySet["Report"]):
    """Reports: scope (`visible_to`), state, deadlines, place, statistics."""

    def public(self) -> Self:
        """Reports shown on the public pages (personal data is never part of them)."""
        return self.filter(is_public=True)

    def open(self) -> Self:
        """Reports waiting for the unit: received, assigned or in progress."""
        return self.filter(state__in=OPEN_STATES)

    def active(self) -> Self:
        """Reports not yet closed, rejected or merged (a resolved one may still be reopened)."""
        return self.filter(closed_at__isnull=True)

    def resolved(self) -> Self:
        """Reports that got a reply resolving them (closed ones included)."""
        return self.filter(resolved_at__isnull=False)

    def overdue(self, now: dt.datetime | None = None) -> Self:
        """Open reports past their deadline."""
        return self.open().filter(due_at__lt=now or timezone.now())

    def due_soon(self, now: dt.datetime | None = None) -> Self:
        """Open reports whose deadline falls within the next working day."""
        now = now or timezone.now()
        hours = settings.CITYHALL_REPORTS_DUE_SOON_HOURS
        horizon = current_calendar().add_working_hours(now, hours)
        return self.open().filter(due_at__gte=now, due_at__lte=horizon)

    def in_category(self, category: Any) -> Self:
        """Reports of a category (a `Category` or its code)."""
        if isinstance(category, str):
            return self.filter(category__code=category)
        return self.filter(category=category)

    def in_unit(self, unit: Any) -> Self:
        return self.filter(unit=unit)

    def nearby(self, lat: float, lon: float, radius_m: float) -> Self:
        """Reports with a point within `radius_m` metres of (lat, lon).

        The database only narrows by a box around the circle (an indexable range on both
        columns); the distance itself is computed here, great-circle (haversine), the same
        formula as the registry's (cityhall.orgunits.geo). Haversine rather than shapely
        in a metric projection: it needs no projection library, and on a sphere its error
        against the ellipsoid (under 0.5%) is far below a phone's GPS error. So the query
        runs once for the candidates' coordinates, then the page selects them by key.
        A box holding more than NEARBY_EXACT_LIMIT points (a 50 km search over years of
        reports) is filtered in SQL by the equirectangular distance instead, which at the
        city's latitude and such radii differs from haversine by less than a metre per km.
        """
        dlat = radius_m / _M_PER_DEG_LAT
        k = _M_PER_DEG_LON * math.cos(math.radians(lat))
        dlon = radius_m / k if k > 1e-6 else 180.0
        box = self.filter(latitude__range=(lat - dlat, lat + dlat),
                          longitude__range=(lon - dlon, lon + dlon))
        rows = list(box.order_by().values_list("pk", "latitude", "longitude")
                    [: NEARBY_EXACT_LIMIT + 1])
        if len(rows) <= NEARBY_EXACT_LIMIT:
            radius_km = radius_m / 1000
            inside = [pk for pk, p_lat, p_lon in rows
                      if distance_km(lat, lon, p_lat, p_lon) <= radius_km]
            # An empty IN () cannot be compiled (the Open311 pages compile the query to
            # SQL): a key is never null, so that is the empty answer that compiles.
            return box.filter(pk__in=inside) if inside else box.filter(pk__isnull=True)
        dy = (F("latitude") - lat) * _M_PER_DEG_LAT
        dx = (F("longitude") - lon) * k
        return box.alias(_d2=dx * dx + dy * dy).filter(_d2__lte=radius_m * radius_m)

    def received_between(
        self, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> Self:
        qs = self
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lt=end)
        return qs

    def by_private_token(self, raw: str) -> Self:
        """The report a private follow link points to (empty for a wrong token)."""
        from cityhall.reports.models import Report

        return self.filter(private_token_hash=Report.hash_token(raw or ""))

    def on_time(self) -> Self:
        """Resolved reports resolved by their deadline."""
        return self.resolved().filter(resolved_at__lte=F("resolved_due_at"))

    def with_code(self, code: str) -> Self:
        """The report with this code as someone typed it: case and outer spaces aside."""
        return self.filter(code=normalise_code(code))

    def for_queue(self) -> Self:
        """What a staff list shows, joined in the one page query."""
        return self.select_related("category", "unit", "assignee")

    def duplicate_candidates(
        self, *, category: Any, lat: float, lon: float, now: dt.datetime | None = None
    ) -> Self:
        """Public open reports of the category near the point, received within the window.

        They are shown to whoever is filing, so a report hidden by moderation is never one.
        """
        now = now or timezone.now()
        since = now - dt.timedelta(days=settings.CITYHALL_REPORTS_DUPLICATE_DAYS)
        return (
            self.public().active().filter(~Q(state="resolved"), duplicate_of__isnull=True)
            .in_category(category)
            .nearby(lat, lon, settings.CITYHALL_REPORTS_DUPLICATE_RADIUS_M)
            .filter(created_at__gte=since)
        )

    def duplicate_pool(
        self, *, category: Any, unit: Any, place_unit: Any = None,
        around: dt.datetime | None = None,
    ) -> Self:
        """Reports that could tell of the same problem as one of `category` in `unit`: the
        candidates `duplicates.match` decides among (same category, handled by the same
        unit or placed in the same one, received within the window either side of `around`,
        not merged themselves), newest first.
        """
        around = around or timezone.now()
        window = dt.timedelta(days=settings.CITYHALL_REPORTS_DUPLICATE_DAYS)
        where = Q(unit=unit) | Q(place_unit=place_unit) if place_unit is not None else Q(unit=unit)
        return (
            self.filter(where, duplicate_of__isnull=True).exclude(state="merged")
            .in_category(category)
            .filter(created_at__gte=around - window, created_at__lte=around + window)
            .order_by("-created_at", "-pk")
        )
