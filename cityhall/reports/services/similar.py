"""Reports that may tell of the same problem: offered to residents filing, and to staff merging."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cityhall.orgunits.models import Unit
from cityhall.reports import duplicates
from cityhall.reports.models import Category, Report

#: How many candidates the database hands to the matching at most (newest first).
POOL = 200


def suggest_duplicates(
    *, category: Category | str, latitude: float | None = None, longitude: float | None = None,
    address: str = "", place_unit: Unit | None = None, now: dt.datetime | None = None,
    exclude: Report | None = None, limit: int = 10,
) -> list[Report]:
    """Public open reports like one being filed, newest first: near its point, or, for an
    address without a point, at the same address once normalised in the same place's unit.
    """
    if latitude is not None and longitude is not None:
        qs = Report.objects.duplicate_candidates(category=category, lat=latitude,
                                                 lon=longitude, now=now)
    elif address.strip() and place_unit is not None:
        now = now or timezone.now()
        since = now - dt.timedelta(days=settings.CITYHALL_REPORTS_DUPLICATE_DAYS)
        pool = list(
            Report.objects.public().active().filter(~Q(state="resolved"),
                                                    duplicate_of__isnull=True)
            .in_category(category).filter(place_unit=place_unit, created_at__gte=since)
            .exclude(address="").only("pk", "address").order_by("-created_at", "-pk")[:POOL])
        same = [r.pk for r in pool if r.pk != getattr(exclude, "pk", None)
                and duplicates.address_similarity(address, r.address) >= duplicates.ADDRESS_MATCH]
        qs = Report.objects.filter(pk__in=same)
    else:
        return []
    qs = qs.select_related("category", "unit")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.order_by("-created_at", "-pk")[:limit])


def merge_suggestions(*, report: Report, user: Any, limit: int = 5) -> list[duplicates.Match]:
    """Reports the user may see that may duplicate `report`, surest first (the merge form).

    The candidates share its category and unit (handling or place) and were received
    within the duplicate window either side of it; `duplicates.match` decides among them.
    """
    pool = list(
        Report.objects.visible_to(user)
        .duplicate_pool(category=report.category_id, unit=report.unit_id,
                        place_unit=report.place_unit_id, around=report.created_at)
        .exclude(pk=report.pk).select_related("unit")[:POOL])
    found = duplicates.match(report, pool,  # type: ignore[arg-type]
                             radius_m=settings.CITYHALL_REPORTS_DUPLICATE_RADIUS_M, limit=limit)
    return found
