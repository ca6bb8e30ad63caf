"""The leaders' dashboard, the records behind its numbers, its XLSX export, and the public
transparency page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cityhall.accounts.web import signed_in_user, staff_required
from cityhall.core.errors import Common
from cityhall.indicators import dashboard, map_views, pdf, records, scope, values
from cityhall.indicators.errors import IndicatorError
from cityhall.indicators.export import workbook
from cityhall.indicators.models import Source
from cityhall.plans import policy as plans_policy

RECORDS_PAGE = 100


def _chart_data(board: dashboard.Dashboard) -> dict[str, Any]:
    return {
        "labels": board.trend["labels"], "grain": board.trend["grain"],
        "series": [{"code": i.code, "name": i.name, "unit": i.unit,
                    "values": board.trend["series"].get(i.code, [])}
                   for i in board.trend_indicators],
    }


def _board(request: HttpRequest) -> dashboard.Dashboard:
    user = signed_in_user(request)
    try:
        unit = scope.unit_for(user, request.GET.get("unit"))
        period = values.period_of(request.GET.get("from"), request.GET.get("to"))
        return dashboard.build(unit, period, request.GET.get("rank"))
    except IndicatorError as exc:
        if exc.code == Common.NOT_FOUND:
            raise Http404(str(exc.detail)) from None
        raise


@staff_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The unit's figures for the period, compared, split, ranked and scored."""
    try:
        board = _board(request)
    except IndicatorError as exc:
        return render(request, "indicators/dashboard.html",
                      {"error": exc.detail, "board": None}, status=exc.code.status)
    user = signed_in_user(request)
    tops = scope.tops(user)
    parent = board.unit.parent
    if parent is not None and not any(parent.path.startswith(t.path) for t in tops):
        parent = None
    return render(request, "indicators/dashboard.html", {
        "board": board, "chart": _chart_data(board), "parent": parent,
        "ranked_choices": [r.indicator for r in board.rows
                           if r.indicator.source == Source.COMPUTED
                           and r.indicator.direction != "neutral"],
        "drillable": records.DRILLABLE, "query": request.GET.urlencode(),
        "can_assign": bool(board.red_rows) and plans_policy.may_steer(user, board.unit),
        **map_views.context(request, board),
    })


@staff_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The dashboard's view as an XLSX workbook (figures, units, the 766 score)."""
    board = _board(request)
    response = HttpResponse(
        workbook(board),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"indicators-{board.unit.code}-{board.period.first}-{board.period.last}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required
@require_GET
def export_pdf(request: HttpRequest) -> HttpResponse:
    """The dashboard's view as a PDF (figures, comparisons, rankings, units, 766 score)."""
    board = _board(request)
    response = HttpResponse(pdf.document(board), content_type="application/pdf")
    name = f"indicators-{board.unit.code}-{board.period.first}-{board.period.last}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required
@require_GET
def records_page(request: HttpRequest) -> HttpResponse:
    """The records behind one number of the dashboard, newest first."""
    user = signed_in_user(request)
    tally = request.GET.get("tally", "")[:48]
    try:
        unit = scope.unit_for(user, request.GET.get("unit"))
        period = values.period_of(request.GET.get("from"), request.GET.get("to"))
        rows = records.records(user, tally, unit, period)
    except IndicatorError as exc:
        if exc.code == Common.NOT_FOUND:
            raise Http404(str(exc.detail)) from None
        return render(request, "indicators/records.html", {"error": exc.detail},
                      status=exc.code.status)
    page = Paginator(rows.select_related("unit").only("pk", "code", "unit__name"),
                     RECORDS_PAGE).get_page(request.GET.get("page"))
    found = [records.Record(code=r.code, at=r.counted_at, unit=r.unit.name,
                            url=records.link(tally, r.code)) for r in page.object_list]
    return render(request, "indicators/records.html", {
        "tally": tally, "unit": unit, "period": period, "page": page, "rows": found,
        "queue_link": records.queue_link(tally, unit), "live": tally in records.LIVE,
        "back": _without_page(request),
    })


def _without_page(request: HttpRequest) -> str:
    """The request's query without its page number (the pager adds its own)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def public_page(request: HttpRequest) -> HttpResponse:
    """The city's figures for anyone: counts and rates only, nothing about a person."""
    city = scope.city()
    if city is None:
        raise Http404(_("The registry is not loaded."))
    period = values.period_of(None, None)
    try:
        board = dashboard.build(city, period)
    except IndicatorError as exc:
        raise Http404(str(exc.detail)) from None
    return render(request, "indicators/public.html", {
        "board": board, "chart": _chart_data(board),
        "rows": [r for r in board.rows if r.indicator.source == Source.COMPUTED],
        "reported": [r for r in board.rows if r.reported is not None
                     and r.figure.value is not None],
    })


def staff_panel(user: Any) -> dict[str, Any]:
    """The staff home's card: the dashboard of the user's first unit, if they have one."""
    tops = scope.tops(user)
    return {"dashboard_unit": tops[0] if tops else None}
