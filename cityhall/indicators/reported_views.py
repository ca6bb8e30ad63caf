"""The staff pages of the reported indicators (submit, import, approve or return, targets,
history) and "assign now" from a red number of the dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.accounts.scope import scope_of
from cityhall.accounts.web import signed_in_user, staff_required
from cityhall.core.errors import Common
from cityhall.indicators import dashboard, reporting, scope, values
from cityhall.indicators.assign import assign_from_figure
from cityhall.indicators.errors import IndicatorError
from cityhall.indicators.forms import (
    AssignFromFigureForm,
    ImportForm,
    ReturnForm,
    TargetForm,
    ValueForm,
    reporting_units,
)
from cityhall.indicators.models import Channel, ReportedValue, Target
from cityhall.orgunits.models import Unit
from cityhall.plans.errors import PlanError

HISTORY = 200
#: The largest XLSX file taken (a year of monthly values for every unit is far smaller).
MAX_UPLOAD = 5 * 1024 * 1024


def _text(exc: IndicatorError | PlanError) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        rows = detail.get("rows")
        if isinstance(rows, list):
            return "; ".join(map(str, rows))
        return "; ".join(str(v) for v in detail.values())
    return str(detail)


def _form_errors(form: Any) -> str:
    return "; ".join(f"{f}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items())


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("indicators:reported"))


@staff_required
@require_http_methods(["GET"])
def reported_page(request: HttpRequest) -> HttpResponse:
    """The reported values the user may see, those awaiting their approval, and the forms."""
    user = signed_in_user(request)
    units = reporting_units(user)
    led = reporting_units(user, leaders_only=True)
    visible = ReportedValue.objects.visible_to(user).select_related(
        "indicator", "unit", "submitted_by", "decided_by")
    awaiting = (visible.pending().filter(scope_of(user).managed().q("unit"))
                .exclude(submitted_by=user).order_by("submitted_at"))
    code = request.GET.get("indicator", "")[:64]
    history = visible.filter(indicator__code=code) if code else visible
    return render(request, "indicators/reported.html", {
        "awaiting": awaiting[:HISTORY], "history": history[:HISTORY], "indicator": code,
        "targets": Target.objects.filter(scope_of(user).q("unit")).select_related(
            "indicator", "unit").order_by("-year", "indicator__order", "unit__path")[:HISTORY],
        "value_form": ValueForm(units=units) if units else None,
        "target_form": TargetForm(units=led) if led else None,
        "import_form": ImportForm() if units else None, "return_form": ReturnForm(),
        "header": reporting.HEADER,
    })


def _unit(code: str) -> Unit | None:
    return Unit.objects.active_on().filter(code=code[:32]).defer("boundary").first()


@staff_required
@require_POST
def submit_value(request: HttpRequest) -> HttpResponse:
    """A value submitted through the form; it waits for the unit's leaders."""
    user = signed_in_user(request)
    form = ValueForm(request.POST, units=reporting_units(user))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back()
    data = form.cleaned_data
    unit = _unit(data["unit"])
    try:
        if unit is None:
            raise IndicatorError(Common.NOT_FOUND, _("No such unit in your scope."))
        saved = reporting.submit_value(
            actor=user, indicator=values.indicator(data["indicator"]), unit=unit,
            period=data["period"], value=data["value"], note=data["note"], channel=Channel.FORM)
    except IndicatorError as exc:
        messages.error(request, _text(exc))
    else:
        messages.success(request, _("Submitted: %(name)s, %(unit)s, %(period)s (version "
                                    "%(v)d), awaiting approval.") % {
            "name": saved.indicator.name, "unit": unit.name, "period": saved.period,
            "v": saved.version})
    return _back()


@staff_required
@require_POST
def set_target(request: HttpRequest) -> HttpResponse:
    """A unit's target for a year, set by its leaders."""
    user = signed_in_user(request)
    form = TargetForm(request.POST, units=reporting_units(user, leaders_only=True))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back()
    data = form.cleaned_data
    unit = _unit(data["unit"])
    try:
        if unit is None:
            raise IndicatorError(Common.NOT_FOUND, _("No such unit in your scope."))
        reporting.set_target(actor=user, indicator=values.indicator(data["indicator"]),
                             unit=unit, year=data["year"], value=data["value"])
    except IndicatorError as exc:
        messages.error(request, _text(exc))
    else:
        messages.success(request, _("Target saved."))
    return _back()


@staff_required
@require_POST
def import_values(request: HttpRequest) -> HttpResponse:
    """An XLSX file of values: every row submitted, or none and every wrong row told."""
    user = signed_in_user(request)
    form = ImportForm(request.POST, request.FILES)
    upload = request.FILES.get("file")
    if not form.is_valid() or upload is None:
        messages.error(request, _("Choose an XLSX file."))
        return _back()
    if upload.size is not None and upload.size > MAX_UPLOAD:
        messages.error(request, _("The file is larger than 5 MB."))
        return _back()
    try:
        rows = reporting.read_workbook(upload.read())
        saved = reporting.import_values(actor=user, rows=rows, source=upload.name or "")
    except IndicatorError as exc:
        messages.error(request, _("Nothing was imported: %(problems)s") % {
            "problems": _text(exc)})
    else:
        messages.success(request, _("%(n)d values imported, awaiting approval.")
                         % {"n": len(saved)})
    return _back()


def _value(request: HttpRequest, value_id: int) -> ReportedValue:
    found = ReportedValue.objects.visible_to(signed_in_user(request)).select_related(
        "unit", "indicator").filter(pk=value_id).first()
    if found is None:
        raise Http404
    return found


@staff_required
@require_POST
def approve_value(request: HttpRequest, value_id: int) -> HttpResponse:
    """The reporting unit's leader approves a value."""
    try:
        reporting.approve_value(actor=signed_in_user(request), value=_value(request, value_id))
    except IndicatorError as exc:
        messages.error(request, _text(exc))
    else:
        messages.success(request, _("Approved."))
    return _back()


@staff_required
@require_POST
def return_value(request: HttpRequest, value_id: int) -> HttpResponse:
    """The reporting unit's leader returns a value with a reason."""
    value = _value(request, value_id)
    try:
        reporting.return_value(actor=signed_in_user(request), value=value,
                               reason=request.POST.get("reason", "")[:500])
    except IndicatorError as exc:
        messages.error(request, _text(exc))
    else:
        messages.success(request, _("Returned to %(unit)s.") % {"unit": value.unit.name})
    return _back()


@staff_required
@require_http_methods(["GET", "POST"])
def assign_page(request: HttpRequest) -> HttpResponse:
    """"Assign now" from a red number: step one shows the number and the task to give,
    step two (POST) gives it to the unit through the plans' service."""
    user = signed_in_user(request)
    query = request.GET
    try:
        unit = scope.unit_for(user, query.get("unit"))
        period = values.period_of(query.get("from"), query.get("to"))
        board = dashboard.build(unit, period)
    except IndicatorError as exc:
        if exc.code == Common.NOT_FOUND:
            raise Http404(str(exc.detail)) from None
        return render(request, "indicators/assign.html", {"error": exc.detail}, status=400)
    row = next((r for r in board.rows if r.indicator.code == query.get("indicator", "")[:64]),
               None)
    if row is None:
        raise Http404
    form = AssignFromFigureForm(request.POST or None)
    # A reported figure that one unit reports is that unit's to act on; any other number is
    # the unit shown's.
    ids = row.reported.reporter_ids if row.reported is not None else ()
    responsible = unit
    if len(ids) == 1 and ids[0] != unit.pk:
        responsible = Unit.objects.defer("boundary").get(pk=ids[0])
    form.initial = {"title": _("Improve %(name)s in %(unit)s") % {
        "name": row.indicator.name, "unit": responsible.name}}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = assign_from_figure(
                actor=user, indicator=row.indicator, unit=responsible, first=period.first,
                last=period.last, value=row.figure.value, title=data["title"],
                working_days=data["working_days"], description=data["description"],
                idempotency_key=data["idempotency_key"])
        except PlanError as exc:
            form.add_error(None, _text(exc))
        else:
            messages.success(request, _("Task given to %(unit)s: %(title)s, due %(due)s.") % {
                "unit": responsible.name, "title": task.title,
                "due": formats.date_format(task.due)})
            return HttpResponseRedirect(reverse("indicators:dashboard") + "?" + query.urlencode())
    return render(request, "indicators/assign.html", {
        "board": board, "row": row, "form": form, "query": query.urlencode(),
        "responsible": responsible},
        status=400 if form.errors else 200)
