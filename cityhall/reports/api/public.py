"""Public endpoints: filing a report, the public list, the statistics."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query

from cityhall.core.api import (
    MAX_OFFSET,
    MAX_PAGE,
    ErrorOut,
    Page,
    paginate,
)
from cityhall.reports.api.outputs import (
    public_item_out,
)
from cityhall.reports.api.router import (
    router,
)
from cityhall.reports.api.schemas import (
    PublicItem,
    StatisticsOut,
)
from cityhall.reports.filters import PublicReportFilter
from cityhall.reports.models import Report
from cityhall.reports.statistics import report_statistics


@router.get("/statistics", response={200: StatisticsOut, 422: ErrorOut}, auth=None)
def statistics(request: HttpRequest) -> dict[str, Any]:
    """Public figures: received, resolved, on-time rate, mean handling time; by category,
    unit and month of receipt."""
    return report_statistics(Report.objects.public())


@router.get("/public", response={200: Page[PublicItem], 400: ErrorOut, 422: ErrorOut},
            auth=None)
def public_reports(
    request: HttpRequest,
    filters: Query[PublicReportFilter],
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """Public reports, newest first: no contact, no reporter, no staff notes."""
    rows = filters.apply(Report.objects.public()).select_related("category", "unit").only(
        "code", "state", "description", "address", "latitude", "longitude", "created_at",
        "due_at", "public_reply", "replied_at", "resolved_at", "category__code",
        "category__name", "category__name_en", "unit__code", "unit__name",
    ).order_by("-created_at", "-pk")
    page = paginate(rows, limit=limit, offset=offset)
    now = timezone.now()
    page["items"] = [public_item_out(r, now) for r in page["items"]]
    return page
