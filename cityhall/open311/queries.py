"""The reads behind GET requests: one page query with its joins, plus two for extensions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Subquery

from cityhall.core.localcache import ProcessCache
from cityhall.reports.models import Category, Report, ReportPhoto
from cityhall.reports.queries import OPEN_STATES, ReportQuerySet
from cityhall.workflow.models import Transition

#: The columns a request shows: public data only (the contact lives in another table).
COLUMNS = (
    "pk", "code", "state", "description", "public_reply", "responsible_pointer", "created_at",
    "updated_at", "due_at", "address", "latitude", "longitude", "media_urls", "routing_reason",
    "category__code", "category__name", "category__name_en", "unit__name",
    "place_unit__code", "place_unit__name", "duplicate_of__code",
)
CASE_TYPE = "reports.report"


@dataclass
class RequestFilter:
    """What GET requests asks for; the view fills it from the parameters."""

    ids: list[str] = field(default_factory=list)
    category_ids: list[int] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: set[str] = field(default_factory=set)
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    near: tuple[float, float, float] | None = None
    bbox: tuple[float, float, float, float] | None = None
    offset: int = 0
    limit: int = 1000


# Every category's id by code: a few dozen rows, kept per process, emptied on save.
_CATEGORY_IDS: ProcessCache[dict[str, int]] = ProcessCache(
    "open311.category_ids", ttl=60.0, models=(Category,))


def category_ids(codes: list[str]) -> dict[str, int]:
    """The ids of the categories with these codes (at most one query)."""
    every = _CATEGORY_IDS.get("all", lambda: dict(Category.objects.values_list("code", "pk")))
    return {code: every[code] for code in codes if code in every}


def page_queryset(spec: RequestFilter) -> ReportQuerySet:
    """The public reports `spec` asks for, newest first (not yet cut to the page)."""
    qs: ReportQuerySet = Report.objects.public()
    if spec.ids:
        # The ids override every other filter (GeoReport v2).
        qs = qs.filter(code__in=spec.ids)
    else:
        if spec.category_ids is not None:
            qs = qs.filter(category_id__in=spec.category_ids)
        qs = qs.received_between(spec.start, spec.end)
        if spec.statuses == {"open"}:
            qs = qs.open()
        elif spec.statuses == {"closed"}:
            qs = qs.exclude(state__in=OPEN_STATES)
        if spec.updated_after is not None:
            qs = qs.filter(updated_at__gt=spec.updated_after)
        if spec.updated_before is not None:
            qs = qs.filter(updated_at__lt=spec.updated_before)
        if spec.near is not None:
            qs = qs.nearby(*spec.near)
        if spec.bbox is not None:
            south, west, north, east = spec.bbox
            qs = qs.filter(latitude__range=(south, north), longitude__range=(west, east))
    return qs.order_by("-created_at", "-pk")


def request_rows(spec: RequestFilter) -> list[dict[str, Any]]:
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
