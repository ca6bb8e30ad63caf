"""Report pages for residents and the public: file, follow, rate, reopen; list, map, statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityhall.accounts.models import User, UserKind
from cityhall.core import limits
from cityhall.core.audit import Actor
from cityhall.core.files.serve import serve_file
from cityhall.orgunits.maps import unit_map_layer
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind
from cityhall.reports import services
from cityhall.reports.filters import PublicReportFilter
from cityhall.reports.forms import (
    RateForm,
    ReopenForm,
    ReportForm,
    add_service_error,
    attribute_rows,
)
from cityhall.reports.labels import state_label
from cityhall.reports.models import Category, Channel, Report, ReportPhoto
from cityhall.reports.services import Contact, ReportError
from cityhall.reports.states import PUBLIC_NOTE_ACTIONS, REPORTER_NOTE_ACTIONS, STATES
from cityhall.reports.statistics import report_statistics
from cityhall.workflow.models import Transition

PAGE_SIZE = 20
#: Pins on the public map: the newest matching reports, so the page stays light.
MAP_PINS = 500


def categories_for(user: Any) -> list[Category]:
    """The categories a person may file: enterprise ones only with a business account."""
    qs = Category.objects.active()
    is_business = getattr(user, "is_authenticated", False) and user.kind == UserKind.BUSINESS
    if not is_business:
        qs = qs.for_audience("resident")
    return list(qs.order_by("order", "code"))


def actor_of(request: HttpRequest) -> Any:
    """The signed-in user, or the anonymous web sender."""
    return request.user if request.user.is_authenticated else services.ANONYMOUS


def map_context() -> dict[str, str]:
    """What every map needs: our own unit layer and the city's tile server, if any."""
    return {"map_units_url": reverse("reports:report_units_geojson"),
            "map_tiles_url": settings.CITYHALL_MAP_TILES_URL,
            "map_tiles_attribution": settings.CITYHALL_MAP_TILES_ATTRIBUTION}


def submit_from_form(
    request: HttpRequest, form: ReportForm, *, actor: Actor, channel: str,
    on_behalf_of: User | None = None,
) -> services.Submission | None:
    """Send a valid form to `submit_report`; on refusal put the reason on the form."""
    data = form.cleaned_data
    contact = Contact(name=data.get("contact_name", ""), phone=data.get("contact_phone", ""),
                      email=data.get("contact_email", ""))
    try:
        return services.submit_report(
            actor=actor, category=data["category"], description=data["description"],
            channel=channel, latitude=data.get("latitude"), longitude=data.get("longitude"),
            address=data.get("address", ""), contact=contact, attributes=form.attributes(),
            photos=data.get("photos") or [], anonymous=data.get("anonymous", False),
            on_behalf_of=on_behalf_of, idempotency_key=data.get("idempotency_key", ""),
        )
    except ReportError as exc:
        add_service_error(form, exc)
        return None


def _filing_refused(request: HttpRequest, refusal: limits.Refusal) -> HttpResponse:
    """The report form again with the limit's message; nothing is filed (429 is set by
    `limits.limit_posts`)."""
    form = ReportForm(request.POST, categories=categories_for(request.user))
    form.add_error(None, refusal.message())
    context = {"form": form, "form_action": reverse("reports:report_new"), **map_context()}
    return render(request, "reports/new.html", context)


@require_http_methods(["GET", "POST"])
@limits.limit_posts(limits.FILING, _filing_refused)
def report_new(request: HttpRequest) -> HttpResponse:
    """The resident's report form; a valid one is routed and answered with its code."""
    categories = categories_for(request.user)
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, categories=categories)
        if form.is_valid():
            sent = submit_from_form(request, form, actor=actor_of(request), channel=Channel.WEB)
            if sent is not None:
                url = reverse("reports:report_sent", args=[sent.report.code])
                return redirect(f"{url}?{urlencode({'t': sent.private_token})}")
        status = 400
    else:
        form = ReportForm(categories=categories,
                          initial={"category": request.GET.get("category", "")})
        status = 200
    context = {"form": form, "form_action": reverse("reports:report_new"), **map_context()}
    return render(request, "reports/new.html", context, status=status)


@require_GET
def report_fields(request: HttpRequest) -> HttpResponse:
    """The chosen category's extra fields (htmx swaps them into the form)."""
    form = ReportForm(categories=categories_for(request.user),
                      initial={"category": request.GET.get("category", "")})
    response = render(request, "reports/_extra_fields.html", {"form": form})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _float(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if -180 <= value <= 180 else None


@require_GET
def report_duplicates(request: HttpRequest) -> HttpResponse:
    """Open reports of the category near the pin, shown before the form is sent."""
    code = request.GET.get("category", "")
    lat, lon = _float(request.GET.get("latitude")), _float(request.GET.get("longitude"))
    found: list[Report] = []
    if code and lat is not None and lon is not None:
        category = Category.objects.active().filter(code=code).first()
        if category is not None:
            found = services.suggest_duplicates(category=category, latitude=lat, longitude=lon)
    return render(request, "reports/_duplicates.html", {"duplicates": found})


def _followed(request: HttpRequest, code: str) -> tuple[Report, str, bool]:
    """The report, the follow token given and whether the visitor is its reporter.

    Without the private link or the reporter's sign-in only a public report is shown.
    """
    token = (request.POST.get("t") or request.GET.get("t") or "")[:100]
    report = (
        Report.objects.select_related("category", "unit", "place_unit", "duplicate_of")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("pk")))
        .with_code(code).first()
    )
    if report is None:
        raise Http404(_("No report has this code."))
    by_token = report.followed_by(None, token)
    is_reporter = by_token or report.followed_by(request.user)
    if not is_reporter and not report.is_public:
        raise Http404(_("No report has this code."))
    return report, token if by_token else "", is_reporter


def public_history(report: Report, *, for_reporter: bool) -> list[Transition]:
    """The steps of a report, with notes only where they are meant for this reader."""
    shown = REPORTER_NOTE_ACTIONS if for_reporter else PUBLIC_NOTE_ACTIONS
    steps = list(Transition.objects.for_case(report).order_by("seq"))
    for step in steps:
        if step.action not in shown:
            step.comment = ""
    return steps


def follow_url(report: Report, token: str) -> str:
    """The private follow link's path."""
    url = reverse("reports:report_follow", args=[report.code])
    return f"{url}?{urlencode({'t': token})}" if token else url


@require_GET
def report_sent(request: HttpRequest, code: str) -> HttpResponse:
    """After sending: the code, where it went and why, and the private follow link."""
    report, token, is_reporter = _followed(request, code)
    if not is_reporter:
        raise Http404(_("No report has this code."))
    duplicates: list[Report] = []
    if report.latitude is not None and report.longitude is not None:
        duplicates = services.suggest_duplicates(
            category=report.category, latitude=report.latitude, longitude=report.longitude,
            exclude=report)
    link = request.build_absolute_uri(follow_url(report, token))
    return render(request, "reports/sent.html",
                  {"report": report, "follow_link": link, "token": token,
                   "duplicates": duplicates})


def _follow_page(request: HttpRequest, report: Report, token: str, is_reporter: bool,
                 rate_form: RateForm | None = None, reopen_form: ReopenForm | None = None,
                 status: int = 200) -> HttpResponse:
    can_rate = is_reporter and report.may_be_rated()
    can_reopen = is_reporter and report.may_be_reopened()
    photos = list(report.photos.all())
    context = {
        "report": report, "token": token, "is_reporter": is_reporter,
        "history": public_history(report, for_reporter=is_reporter),
        "attributes": attribute_rows(report.category, report.attribute_values),
        "report_photos": [p for p in photos if p.kind == ReportPhoto.Kind.REPORT],
        "reply_photos": [p for p in photos if p.kind == ReportPhoto.Kind.REPLY],
        "rate_form": (rate_form or RateForm()) if can_rate else None,
        "reopen_form": (reopen_form or ReopenForm()) if can_reopen else None,
        "is_open": report.is_open(),
        "overdue": report.is_overdue(),
        **map_context(),
    }
    return render(request, "reports/follow.html", context, status=status)


@require_GET
def report_follow(request: HttpRequest, code: str) -> HttpResponse:
    """One report as its reporter (private link or account) or the public sees it."""
    report, token, is_reporter = _followed(request, code)
    return _follow_page(request, report, token, is_reporter)


def _follow_up_refused(request: HttpRequest, refusal: limits.Refusal, code: str) -> HttpResponse:
    """The report's page with the limit's message; nothing is recorded."""
    report, token, is_reporter = _followed(request, code)
    messages.error(request, refusal.message())
    return _follow_page(request, report, token, is_reporter)


@require_POST
@limits.limit_posts(limits.FOLLOW_UP, _follow_up_refused)
def report_rate(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter rates the answer (1 to 5, with a comment)."""
    report, token, is_reporter = _followed(request, code)
    if not is_reporter:
        raise Http404(_("No report has this code."))
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.rate_report(actor=actor_of(request), report=report,
                                 rating=form.cleaned_data["rating"],
                                 comment=form.cleaned_data["comment"], private_token=token)
        except ReportError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Thank you: your rating was recorded."))
            return redirect(follow_url(report, token))
    return _follow_page(request, report, token, is_reporter, rate_form=form, status=400)


@require_POST
@limits.limit_posts(limits.FOLLOW_UP, _follow_up_refused)
def report_reopen(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter reopens a resolved report within the window, saying why."""
    report, token, is_reporter = _followed(request, code)
    if not is_reporter:
        raise Http404(_("No report has this code."))
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.reopen_report(actor=actor_of(request), report=report,
                                   reason=form.cleaned_data["comment"], private_token=token)
        except ReportError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The report is open again; the unit has been told."))
            return redirect(follow_url(report, token))
    return _follow_page(request, report, token, is_reporter, reopen_form=form, status=400)


@require_GET
def report_photo(request: HttpRequest, code: str, photo_id: int) -> HttpResponseBase:
    """A report's photo: public with a public report, else for its reporter or its staff."""
    photo = ReportPhoto.objects.select_related("report").filter(
        pk=photo_id, report__code=code).first()
    if photo is None:
        raise Http404(_("No such photo."))
    report = photo.report
    token = request.GET.get("t", "")
    allowed = (
        report.is_public
        or report.followed_by(request.user, token)
        or Report.objects.visible_to(request.user).filter(pk=report.pk).exists()
    )
    if not allowed:
        raise Http404(_("No such photo."))
    extension = (photo.file.name or "").rsplit(".", 1)[-1]
    return serve_file(photo, request=request, filename=f"{report.code}-{photo.pk}.{extension}")


def _public_filters(request: HttpRequest) -> tuple[Any, dict[str, str]]:
    """Public reports narrowed by the list's filters (category, unit, state).

    A value that is not one of the list's choices is ignored rather than refused: these
    links get shared and bookmarked.
    """
    chosen = {k: request.GET.get(k, "").strip()[:64] for k in ("category", "unit", "state")}
    if chosen["state"] not in STATES:
        chosen["state"] = ""
    criteria = PublicReportFilter(
        category=[chosen["category"]] if chosen["category"] else [],
        unit=chosen["unit"][:32] or None, state=chosen["state"] or None)
    return criteria.apply(Report.objects.public()), chosen


def filter_units() -> list[Unit]:
    """Units a report can be with: commune-level units and departments in service."""
    return list(
        Unit.objects.active_on().filter(kind__in=[*COMMUNE_LEVEL, UnitKind.DEPARTMENT])
        .only("code", "name", "kind").order_by("kind", "search_name")
    )


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """Public reports, newest first, with filters and a map; no personal data."""
    qs, chosen = _public_filters(request)
    rows = qs.select_related("category", "unit").only(
        "code", "state", "created_at", "due_at", "description", "address", "category__code",
        "category__name", "category__name_en", "unit__code", "unit__name", "latitude",
        "longitude", "closed_at", "resolved_at",
    ).order_by("-created_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in chosen.items() if v})
    context = {
        "page": page, "chosen": chosen, "query": query,
        "categories": list(Category.objects.active().order_by("order", "code")),
        "units": filter_units(), "states": STATES,
        "pins_url": reverse("reports:report_pins_geojson") + (f"?{query}" if query else ""),
        **map_context(),
    }
    return render(request, "reports/list.html", context)


@require_GET
def report_pins_geojson(request: HttpRequest) -> JsonResponse:
    """The public reports with a point, as GeoJSON pins (code, category, state; no people)."""
    qs, _chosen = _public_filters(request)
    rows = (qs.filter(latitude__isnull=False, longitude__isnull=False)
            .order_by("-created_at", "-pk")
            .values("code", "state", "latitude", "longitude", "category__name",
                    "category__name_en")[:MAP_PINS])
    english = (request.LANGUAGE_CODE or "vi").startswith("en")
    features = [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [r["longitude"], r["latitude"]]},
        "properties": {
            "code": r["code"], "state": r["state"],
            "state_label": str(state_label(r["state"])),
            "category": (r["category__name_en"] if english and r["category__name_en"]
                         else r["category__name"]),
            "url": reverse("reports:report_follow", args=[r["code"]]),
        },
    } for r in rows]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@require_GET
def report_units_geojson(request: HttpRequest) -> HttpResponse:
    """The commune-level units in service: light boundaries where known, else their centres.

    Built once per process (cityhall.orgunits.maps) and revalidated by ETag, so a map costs
    the page nothing and a returning browser a 304.
    """
    layer = unit_map_layer()
    if request.headers.get("If-None-Match") == layer.etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(layer.body, content_type="application/geo+json")
    response["ETag"] = layer.etag
    response["Cache-Control"] = "public, max-age=600"
    return response


@require_GET
def report_statistics_page(request: HttpRequest) -> HttpResponse:
    """Public figures counted from the reports: overall, by category, by unit, by month."""
    figures = report_statistics(Report.objects.public())
    english = (request.LANGUAGE_CODE or "vi").startswith("en")
    for row in figures["by_category"]:
        row["label"] = row["name_en"] if english and row["name_en"] else row["name"]
    for row in figures["by_month"]:
        year, month = (int(part) for part in row["month"].split("-"))
        row["label"] = date_format(dt.date(year, month, 1), "YEAR_MONTH_FORMAT")
    return render(request, "reports/statistics.html",
                  {"stats": figures, "charts": _chart_data(figures)})


def _percent(rate: float | None) -> float | None:
    return round(rate * 100, 1) if rate is not None else None


def _chart_data(figures: dict[str, Any]) -> dict[str, Any]:
    """What the page's charts draw (statistics.js), with their words in the reader's language."""
    months, categories = figures["by_month"], figures["by_category"]
    return {
        "words": {"received": _("Received"), "resolved": _("Answered"),
                  "on_time": _("Answered on time (%)"), "rating": _("Satisfaction (1-5)")},
        "months": {"labels": [r["label"] for r in months],
                   "received": [r["received"] for r in months],
                   "resolved": [r["resolved"] for r in months],
                   "on_time": [_percent(r["on_time_rate"]) for r in months]},
        "categories": {"labels": [r["label"] for r in categories],
                       "received": [r["received"] for r in categories],
                       "resolved": [r["resolved"] for r in categories]},
    }


