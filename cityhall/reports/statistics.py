"""Public statistics of reports, counted from the rows: nothing estimated, nothing stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from cityhall.reports.models import Report
from cityhall.workflow.calendar_data import current_calendar

# Each group counts reports received; of them, those resolved, those resolved by their
# deadline, the mean working time from receipt to the resolving reply, and the reporters'
# ratings of the answers (how many, and their mean: the satisfaction, 1 to 5).
_AGGREGATES = {
    "received": Count("pk"),
    "resolved": Count("pk", filter=Q(resolved_at__isnull=False)),
    "on_time": Count("pk", filter=Q(resolved_at__isnull=False,
                                    resolved_at__lte=F("resolved_due_at"))),
    "avg_seconds": Avg("handling_seconds", filter=Q(resolved_at__isnull=False)),
    "rated": Count("pk", filter=Q(rating__isnull=False)),
    "avg_rating": Avg("rating"),
}


def _figures(row: Mapping[str, Any], day_seconds: float) -> dict[str, Any]:
    resolved = row["resolved"]
    avg = row["avg_seconds"]
    return {
        "received": row["received"],
        "resolved": resolved,
        "resolved_on_time": row["on_time"],
        "on_time_rate": round(row["on_time"] / resolved, 4) if resolved else None,
        "average_working_days": round(float(avg) / day_seconds, 2) if avg is not None else None,
        "rated": row["rated"],
        "average_rating": round(float(row["avg_rating"]), 2)
        if row["avg_rating"] is not None else None,
    }


def report_statistics(queryset: QuerySet[Report] | None = None) -> dict[str, Any]:
    """Received, resolved, on-time rate, mean handling time and satisfaction (mean rating):
    overall, by category, unit, month.

    Reports merged into another are left out: the original counts for them.
    """
    qs = (Report.objects.all() if queryset is None else queryset).filter(
        duplicate_of__isnull=True).order_by()
    day_seconds = current_calendar().day_length().total_seconds()
    total = _figures(qs.aggregate(**_AGGREGATES), day_seconds)
    by_category = [
        {"code": row["category__code"], "name": row["category__name"],
         "name_en": row["category__name_en"], **_figures(row, day_seconds)}
        for row in qs.values("category__code", "category__name", "category__name_en")
        .annotate(**_AGGREGATES).order_by("category__code")
    ]
    by_unit = [
        {"code": row["unit__code"], "name": row["unit__name"], **_figures(row, day_seconds)}
        for row in qs.values("unit_id", "unit__code", "unit__name")
        .annotate(**_AGGREGATES).order_by("unit__code", "unit_id")
    ]
    by_month = [
        {"month": row["month"].strftime("%Y-%m"), **_figures(row, day_seconds)}
        for row in qs.annotate(month=TruncMonth("created_at")).values("month")
        .annotate(**_AGGREGATES).order_by("month")
    ]
    return {**total, "by_category": by_category, "by_unit": by_unit, "by_month": by_month}
