"""The reads behind GET requests: one page query with its joins, plus two for extensions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Subquery

from cityhall.reports.filters import PublicReportFilter
from cityhall.reports.models import Report, ReportPhoto
from cityhall.reports.queries import ReportQuerySet
from cityhall.workflow.models import Transition

#: The columns a request shows: public data only (the contact lives in another table).
COLUMNS = (
    "pk", "code", "state", "description", "public_reply", "responsible_pointer", "created_at",
    "updated_at", "due_at", "address", "latitude", "longitude", "media_urls", "routing_reason",
    "routing_reasons",
    "category__code", "category__name", "category__name_en", "unit__name",
    "place_unit__code", "place_unit__name", "duplicate_of__code",
)
CASE_TYPE = "reports.report"


@dataclass
class RequestPage:
    """One page of GET requests: the criteria (reports' own filter) and where the page is."""

    criteria: PublicReportFilter = field(default_factory=PublicReportFilter)
    offset: int = 0
    limit: int = 1000


def page_queryset(spec: RequestPage) -> ReportQuerySet:
    """The public reports `spec` asks for, newest first (not yet cut to the page)."""
    return spec.criteria.apply(Report.objects.public()).order_by("-created_at", "-pk")


def request_rows(spec: RequestPage) -> list[dict[str, Any]]:
    """One page of public reports as dicts of `COLUMNS` plus `photo`: a single query."""
    first_photo = (ReportPhoto.objects.filter(report=OuterRef("pk"), kind=ReportPhoto.Kind.REPORT)
                   .order_by("pk").values("pk")[:1])
    page = page_queryset(spec).annotate(photo=Subquery(first_photo)).values(*COLUMNS, "photo")
    return list(page[spec.offset : spec.offset + spec.limit])


def handling_logs(pks: list[int]) -> dict[int, list[tuple[str, str, dt.datetime, str]]]:
    """Each report's steps (action, state reached, when, comment), oldest first: one query."""
    logs: dict[int, list[tuple[str, str, dt.datetime, str]]] = defaultdict(list)
    steps = (Transition.objects.filter(case_type=CASE_TYPE, case_id__in=pks)
             .order_by("case_id", "seq").values_list("case_id", "action", "to_state", "at",
                                                     "comment"))
    for case_id, action, state, at, comment in steps:
        logs[case_id].append((action, state, at, comment))
    return logs


def photos(pks: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each report's photos (reported and of the fix), in order: one query."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (ReportPhoto.objects.filter(report_id__in=pks).order_by("report_id", "pk")
            .values_list("report_id", "pk", "kind", "content_type", "width", "height"))
    for report_id, pk, kind, content_type, width, height in rows:
        found[report_id].append({"pk": pk, "kind": kind, "content_type": content_type,
                                 "width": width, "height": height})
    return found


def report_pk_code(pk: int) -> str | None:
    """The code of the public report with this primary key."""
    return Report.objects.public().filter(pk=pk).values_list("code", flat=True).first()
