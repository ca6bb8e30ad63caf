"""The plans' pages: the list, one plan's Gantt chart, its printable table, the task queue."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cityhall.accounts.models import User
from cityhall.accounts.web import staff_required
from cityhall.orgunits.models import Unit
from cityhall.plans import policy, services
from cityhall.plans.api import TaskFilters, filtered_tasks
from cityhall.plans.errors import PlanError
from cityhall.plans.feeds import feed_for_token, feed_text
from cityhall.plans.forms import AssignNowForm
from cityhall.plans.gantt import gantt_data
from cityhall.plans.models import Plan, Task
from cityhall.plans.queries import status_expression
from cityhall.plans.status import Status


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
    data = gantt_data(plan, request.user, timezone.localdate())
    editable = policy.may_steer(request.user, plan.owner_unit)
    return render(request, "plans/chart.html", {
        "plan": plan, "data": data, "editable": editable,
        "config": {"editable": editable, "api": reverse("api:list_plans").rsplit("/", 1)[0],
                   "statuses": {s.value: str(s.label) for s in Status},
                   "critical": _("on the critical path")},
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
    filters = TaskFilters.model_validate({"status": status if status in Status.values else ""})
    rows = filtered_tasks(request.user, filters, timezone.localdate())
    if mine:
        rows = rows.filter(person_in_charge_id=request.user.pk)
    return render(request, "plans/tasks.html", {
        "tasks": rows[:200], "count": rows.count(), "status": filters.status, "mine": mine,
        "statuses": [(s.value, s.label) for s in Status],
        "form": AssignNowForm(user=request.user)})


@require_POST
@staff_required
def assign_now(request: HttpRequest) -> HttpResponse:
    """"Assign now" from the task queue: the service tells the assignee at once."""
    leader = request.user
    assert isinstance(leader, User)  # noqa: S101 (staff_required let only a signed-in person in)
    form = AssignNowForm(request.POST, user=leader)
    if form.is_valid():
        data = form.cleaned_data
        unit = Unit.objects.active_on().filter(code=data["unit"]).first()
        person = None
        if data["person"]:
            person = User.objects.filter(username=data["person"].strip(), is_active=True).first()
            if person is None:
                form.add_error("person", _("No such member of staff."))
        if not form.errors:
            try:
                made = services.assign_now(
                    actor=leader, title=data["title"], unit=unit, person=person,
                    working_days=data["working_days"], description=data["description"],
                    idempotency_key=data["idempotency_key"])
            except PlanError as refusal:
                form.add_error(None, refusal.detail if isinstance(refusal.detail, str)
                               else "; ".join(map(str, refusal.detail.values())))
            else:
                messages.success(request, _("Task given: %(title)s, due %(due)s.") % {
                    "title": made.task.title, "due": formats.date_format(made.task.due)})
                return HttpResponseRedirect(reverse("plans:tasks"))
    rows = filtered_tasks(request.user, TaskFilters.model_validate({}), timezone.localdate())
    return render(request, "plans/tasks.html", {
        "tasks": rows[:200], "count": rows.count(), "status": "", "mine": False,
        "statuses": [(s.value, s.label) for s in Status], "form": form}, status=400)


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


def task_links(reader: Any, ids: list[int]) -> dict[int, str]:
    """Where a notice about a task leads: its plan's chart, or the task queue."""
    rows = Task.objects.visible_to(reader).filter(pk__in=ids).values_list("pk", "plan_id")
    return {pk: (reverse("plans:chart", args=[plan]) + f"#task-{pk}" if plan
                 else reverse("plans:tasks")) for pk, plan in rows}
