"""The plans' pages: the list, one plan's Gantt chart, its printable table, the task queue."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cityhall.accounts.models import User
from cityhall.accounts.web import staff_required
from cityhall.orgunits.models import Unit
from cityhall.plans import policy, services
from cityhall.plans.api import TaskFilters, filtered_tasks
from cityhall.plans.drawing import chart_pdf, chart_png
from cityhall.plans.errors import PlanError
from cityhall.plans.feeds import feed_for_token, feed_text
from cityhall.plans.followup import task_followup
from cityhall.plans.forms import AssignNowForm, TargetForm, TargetValueForm
from cityhall.plans.gantt import across_plans, gantt_data
from cityhall.plans.models import Field, OriginKind, Plan, TargetValue, Task
from cityhall.plans.monthly import scorecards_pdf, scorecards_xlsx
from cityhall.plans.queries import pending_extensions, status_expression
from cityhall.plans.scorecards import Kind, Scorecard, extremes, month_bounds, scorecards
from cityhall.plans.status import Status
from cityhall.plans.targets import target_states
from cityhall.workflow.calendar_data import current_calendar


def _plan(request: HttpRequest, plan_id: int) -> Plan:
    found = (Plan.objects.visible_to(request.user).select_related("owner_unit")
             .filter(pk=plan_id).first())
    if found is None:
        raise Http404
    return found


@require_GET
@staff_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """The plans the user's units own or have tasks in, with their tasks counted by status."""
    today = timezone.localdate()
    plans = list(Plan.objects.visible_to(request.user).select_related("owner_unit"))
    counts: dict[int, Counter[str]] = {p.pk: Counter() for p in plans}
    rows = (Task.objects.visible_to(request.user).filter(plan__in=plans)
            .annotate(status=status_expression(today)).values_list("plan_id", "status"))
    for plan_id, status in rows:
        counts[plan_id][status] += 1
    return render(request, "plans/list.html", {
        "plans": [(p, [counts[p.pk][s.value] for s in Status]) for p in plans],
        "statuses": [(s.value, s.label) for s in Status],
    })


@require_GET
@staff_required
def plan_chart(request: HttpRequest, plan_id: int) -> HttpResponse:
    """One plan's Gantt chart; its leaders may drag dates and progress, others only look."""
    plan = _plan(request, plan_id)
    late = request.GET.get("late") == "1"
    data = gantt_data(plan, request.user, timezone.localdate(), late_only=late)
    editable = policy.may_steer(request.user, plan.owner_unit)
    return render(request, "plans/chart.html", {
        "plan": plan, "data": data, "editable": editable, "late": late,
        "pending_extensions": (pending_extensions(request.user).filter(task__plan=plan).count()
                               if editable else 0),
        "config": {"editable": editable, "api": reverse("api:list_plans").rsplit("/", 1)[0],
                   "statuses": {s.value: str(s.label) for s in Status},
                   "critical": _("on the critical path"), "task_url": _task_url_pattern(),
                   "labels": _chart_labels(), "late": late},
        "statuses": [(s.value, s.label) for s in Status],
    })


@require_GET
@staff_required
def plan_table(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan as a printable table: one row per task, phase by phase."""
    plan = _plan(request, plan_id)
    data = gantt_data(plan, request.user, timezone.localdate())
    phases = {p["id"]: p for p in data["phases"]}
    return render(request, "plans/table.html", {"plan": plan, "data": data, "phases": phases})


@require_GET
@staff_required
def task_list(request: HttpRequest) -> HttpResponse:
    """The user's queue: tasks of their units and their own, soonest due first."""
    mine = request.GET.get("mine") == "1"
    status = request.GET.get("status", "")
    kind = request.GET.get("origin_kind", "")
    filters = TaskFilters.model_validate({
        "status": status if status in Status.values else "",
        # Tasks given from one report or document (the link its page offers without JS).
        "origin_kind": kind if kind in OriginKind.values else "",
        "origin_ref": request.GET.get("origin_ref", "")[:64]})
    rows = filtered_tasks(request.user, filters, timezone.localdate())
    if mine:
        rows = rows.filter(person_in_charge_id=request.user.pk)
    return render(request, "plans/tasks.html", {
        "tasks": rows[:200], "count": rows.count(), "status": filters.status, "mine": mine,
        "statuses": [(s.value, s.label) for s in Status],
        "form": AssignNowForm(user=request.user)})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's or unit's deadlines as iCalendar, at a secret address (no sign-in)."""
    feed = feed_for_token(token[:80])
    text = feed_text(feed, base=f"{request.scheme}://{request.get_host()}") if feed else None
    if text is None:
        raise Http404
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


PERIOD = re.compile(r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$")


def _period(request: HttpRequest) -> tuple[str, str]:
    """The month (YYYY-MM, this month by default) and kind (unit, person) asked for."""
    period = request.GET.get("period", "")
    if not PERIOD.match(period):
        period = timezone.localdate().strftime("%Y-%m")
    kind = "person" if request.GET.get("kind") == "person" else "unit"
    return period, kind


def _cards(request: HttpRequest) -> tuple[str, Kind, list[Scorecard]]:
    period, kind = _period(request)
    which: Kind = "person" if kind == "person" else "unit"
    return period, which, scorecards(request.user, kind=which, period=period,
                                     calendar=current_calendar(), today=timezone.localdate())


@require_GET
@staff_required
def scorecard_page(request: HttpRequest) -> HttpResponse:
    """The leaders' scorecards: the best and the worst named at the top, then the ranking."""
    period, kind, cards = _cards(request)
    best, worst = extremes(cards)
    first, _last = month_bounds(period)
    before = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    after = (first + dt.timedelta(days=32)).strftime("%Y-%m")
    return render(request, "plans/scorecards.html", {
        "period": period, "kind": kind, "cards": cards, "best": best, "worst": worst,
        "before": before, "after": after, "query": urlencode({"period": period, "kind": kind}),
    })


@require_GET
@staff_required
def scorecard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The month's scorecards as XLSX or PDF, for the leaders to send."""
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    period, kind, cards = _cards(request)
    if fmt == "xlsx":
        body = scorecards_xlsx(cards, period=period, kind=kind)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        viewer = getattr(request.user, "display_name", "")
        body = scorecards_pdf(cards, period=period, kind=kind,
                              viewer=_("Drawn up for %(name)s.") % {"name": viewer}
                              if viewer else "")
        content_type = "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="bang-diem-{kind}-{period}.{fmt}"'
    return response


@require_GET
@staff_required
def plan_drawing(request: HttpRequest, plan_id: int, fmt: str) -> HttpResponse:
    """One plan's chart drawn on the server, as PDF (every page) or PNG (the first page)."""
    if fmt not in ("pdf", "png"):
        raise Http404
    plan = _plan(request, plan_id)
    data = gantt_data(plan, request.user, timezone.localdate())
    subtitle = f"{plan.document_number} {plan.document_date} · {plan.owner_unit.name}".strip()
    return _drawing(data, fmt, subtitle=subtitle, name=f"ke-hoach-{plan.pk}")


def _drawing(data: dict[str, Any], fmt: str, *, subtitle: str, name: str) -> HttpResponse:
    if fmt == "png":
        response = HttpResponse(chart_png(data, subtitle=subtitle), content_type="image/png")
    else:
        response = HttpResponse(chart_pdf(data, subtitle=subtitle),
                                content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    return response


def _across_filters(request: HttpRequest) -> tuple[str, str]:
    field = request.GET.get("field", "")
    unit = request.GET.get("unit", "")[:32]
    return (field if field in Field.values else ""), unit


@require_GET
@staff_required
def across_chart(request: HttpRequest) -> HttpResponse:
    """One field's tasks, or one unit's, across the plans the user may see; read only."""
    field, unit = _across_filters(request)
    data = across_plans(request.user, timezone.localdate(), field=field, unit=unit)
    fmt = request.GET.get("format", "")
    if fmt in ("pdf", "png"):
        return _drawing(data, fmt, subtitle="", name="ke-hoach-tong-hop")
    units = (Unit.objects.active_on().filter(code__in=Task.objects.visible_to(request.user)
                                             .values("lead_unit__code")).order_by("path"))
    return render(request, "plans/chart.html", {
        "plan": None, "data": data, "editable": False, "across": True,
        "field": field, "unit": unit, "fields": Field.choices,
        "units": [(u.code, u.name) for u in units],
        "query": urlencode({"field": field, "unit": unit}),
        "config": {"editable": False, "api": reverse("api:list_plans").rsplit("/", 1)[0],
                   "statuses": {s.value: str(s.label) for s in Status},
                   "critical": _("on the critical path"), "task_url": _task_url_pattern(),
                   "labels": _chart_labels()},
        "statuses": [(s.value, s.label) for s in Status],
    })


def _task_url_pattern() -> str:
    return reverse("plans:task", args=[0]).replace("/0/", "/{id}/")


def _chart_labels() -> dict[str, str]:
    return {"target": _("Target"), "reached": _("reached"), "met": _("met"),
            "open": _("Open the task"), "phase": _("Phase"),
            "focus_overdue": _("Opened on the task overdue the longest: %(title)s"),
            "focus_in_progress": _("No task is overdue; opened on the task in progress due "
                                   "soonest: %(title)s")}


def _task(request: HttpRequest, task_id: int) -> Task:
    found = (Task.objects.visible_to(request.user)
             .select_related("plan", "owner_unit", "lead_unit", "person_in_charge")
             .filter(pk=task_id).first())
    if found is None:
        raise Http404
    return found


def _task_page(request: HttpRequest, task: Task, *, target_form: TargetForm | None = None,
               value_form: TargetValueForm | None = None, status: int = 200,
               followup_forms: dict[str, Any] | None = None) -> HttpResponse:
    today = timezone.localdate()
    state = target_states(Task.objects.filter(pk=task.pk), today).get(task.pk)
    if target_form is None:
        target_form = TargetForm(initial={"value": state.value, "measure": state.measure,
                                          "by": state.by} if state else {})
    return render(request, "plans/task.html", {
        "task": task, "status": task.status_on(today), "target": state,
        "share": round(state.share * 100) if state and state.share is not None else None,
        "values": (TargetValue.objects.filter(target__task=task).select_related("by")
                   if state else []),
        "reports": task.reports.select_related("by"),
        "may_steer": policy.may_steer(request.user, task.owner_unit),
        "may_report": policy.may_report(request.user, task),
        "target_form": target_form,
        "value_form": value_form or TargetValueForm(initial={"on": today}),
        # Evidence and extension requests (plans/followup.py, _task_followup.html).
        **task_followup(request.user, task, today=today, forms_in=followup_forms),
    }, status=status)


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (staff_required let only a signed-in person in)
    return user


def _refusal_text(refusal: PlanError) -> str:
    return (refusal.detail if isinstance(refusal.detail, str)
            else "; ".join(map(str, refusal.detail.values())))


@require_GET
@staff_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """One task: its dates, status, progress reports, and its target against the actual."""
    return _task_page(request, _task(request, task_id))


@require_POST
@staff_required
def task_target(request: HttpRequest, task_id: int) -> HttpResponse:
    """Set or change a task's target (the service refuses anyone but its leaders)."""
    task = _task(request, task_id)
    form = TargetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_target(actor=_staff(request), task=task, value=data["value"],
                                measure=data["measure"], by=data["by"])
        except PlanError as refusal:
            form.add_error(None, _refusal_text(refusal))
        else:
            messages.success(request, _("Target saved."))
            return HttpResponseRedirect(reverse("plans:task", args=[task.pk]))
    return _task_page(request, task, target_form=form, status=400)


@require_POST
@staff_required
def task_target_value(request: HttpRequest, task_id: int) -> HttpResponse:
    """Report a value reached against a task's target."""
    task = _task(request, task_id)
    form = TargetValueForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.report_target_value(actor=_staff(request), task=task, value=data["value"],
                                         on=data["on"], note=data["note"])
        except PlanError as refusal:
            form.add_error(None, _refusal_text(refusal))
        else:
            messages.success(request, _("Value reported."))
            return HttpResponseRedirect(reverse("plans:task", args=[task.pk]))
    return _task_page(request, task, value_form=form, status=400)


def task_links(reader: Any, ids: list[int]) -> dict[int, str]:
    """Where a notice about a task leads: its plan's chart, or the task queue."""
    rows = Task.objects.visible_to(reader).filter(pk__in=ids).values_list("pk", "plan_id")
    return {pk: (reverse("plans:chart", args=[plan]) + f"#task-{pk}" if plan
                 else reverse("plans:tasks")) for pk, plan in rows}
