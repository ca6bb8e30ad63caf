"""The plans' JSON API at /api/v1: plans, their Gantt data, tasks, "assign now", progress."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import BeforeValidator, Field, WithJsonSchema

from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.accounts.models import User
from cityhall.core.api import (
    MAX_OFFSET,
    MAX_PAGE,
    NO_NUL,
    ApiError,
    DbId,
    ErrorOut,
    Input,
    Page,
    paginate,
    text,
)
from cityhall.core.errors import Common
from cityhall.orgunits.models import Unit
from cityhall.plans import services
from cityhall.plans.errors import PlanCode
from cityhall.plans.feeds import ensure_feeds, feed_url, renew_feed
from cityhall.plans.gantt import gantt_data
from cityhall.plans.models import CalendarFeed, Plan, TargetValue, Task
from cityhall.plans.origins import NONE, Origin, of_task
from cityhall.plans.queries import status_expression
from cityhall.plans.scorecards import scorecards
from cityhall.plans.status import Status as TaskStatus
from cityhall.plans.targets import target_states
from cityhall.workflow.calendar_data import current_calendar

router = Router(tags=["plans"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut, 422: ErrorOut}
IDEMPOTENCY_KEY = Header(
    "", alias="Idempotency-Key", max_length=100, pattern=NO_NUL,
    description="Any string the client makes up for one task (a UUID): a retry with the "
                "same key returns the first task with 200 instead of giving it again.")


class PhaseOut(Schema):
    id: int
    name: str
    deadline: dt.date


class PlanOut(Schema):
    """A plan: the document that set it, the owning unit, fields, phases, task counts."""

    id: int
    title: str
    document_number: str
    document_date: str
    unit_code: str = Field(description="The owning unit's code.")
    owner_unit_name: str
    fields: list[str]
    status: str
    phases: list[PhaseOut]


class LinkOut(Schema):
    id: int = Field(description="The task that must finish first.")
    lag: int = Field(description="Working days between its end and this task's start.")


class TargetStateOut(Schema):
    """A task's target against the latest value reported (decimals as strings)."""

    value: Decimal
    measure: str = Field(description="What the target counts: VND, %, records ...")
    by: dt.date = Field(description="The day the target is to be reached by.")
    actual: Decimal | None = Field(description="The latest value reported, if any.")
    met: bool = Field(description="Whether a value as of a day on or before `by` reached it.")
    share: float | None = Field(description="actual / value.")


class GanttTaskOut(Schema):
    id: int
    title: str
    start: dt.date
    end: dt.date
    progress: float = Field(description="Percent; a parent's is its children's weighted mean.")
    status: str = Field(description="Derived from the dates and today: "
                                    + ", ".join(TaskStatus.values) + ".")
    status_label: str
    lead_unit: str
    lead_unit_code: str
    person_in_charge: str
    parent: int | None
    phase: int | None
    done_on: dt.date | None
    dependencies: list[LinkOut]
    critical: bool
    target: TargetStateOut | None


class GanttOut(Schema):
    id: int
    title: str
    today: dt.date
    phases: list[PhaseOut]
    tasks: list[GanttTaskOut]


class OriginOut(Schema):
    """What the task was given from: a report, a document, a number on the dashboard ..."""

    kind: str = Field(description="request, document, indicator or dossier.")
    ref: str = Field(description="Its code or id (a report's code, a document's id ...).")
    label: str
    url: str = Field(description="Its page on this site (a path; empty when unknown).")


class TaskOut(Schema):
    """A task with its derived status."""

    id: int
    title: str
    plan: int | None
    unit_code: str = Field(description="The lead unit's code.")
    lead_unit_name: str
    person_in_charge: str | None
    start: dt.date
    due: dt.date
    progress: int
    status: str
    done_on: dt.date | None
    origin: OriginOut | None = Field(description="What it was given from; null for nothing.")


class TaskDetailOut(TaskOut):
    """One task: the list's fields, its description, who owns and who gave it."""

    description: str
    owner_unit_code: str = Field(description="The unit answering for it (its leaders steer).")
    assigned_by: str | None = Field(description="Who gave it (user name).")
    coordinating_units: list[str] = Field(description="The coordinating units' codes.")


class OriginIn(Input):
    """What a task is given from. For `request` (a report's code), `document` and `task`
    (their ids) the server looks it up for the caller (who must see it) and takes its label
    and page;
    for `indicator` and `dossier` it keeps `label` (required) and `url` (a path of this
    site) as given."""

    kind: Literal["none", "request", "document", "indicator", "dossier", "task"]
    ref: Annotated[str, text(64)] = ""
    label: Annotated[str, text(300)] = ""
    url: Annotated[str, text(500)] = ""


class AssignIn(Input):
    """"Assign now": what to do, for whom (a unit's code, or a person and optionally their
    unit), and the deadline in working days on the city's calendar."""

    title: Annotated[str, text(500, blank=False)]
    description: Annotated[str, text(4000)] = ""
    unit: Annotated[str, text(32)] = Field("", description="The lead unit's code.")
    person: Annotated[str, text(150)] = Field("", description="The person's user name.")
    working_days: int = Field(ge=1, le=services.MAX_DEADLINE_DAYS)
    plan: DbId | None = None
    origin: OriginIn | None = None


class DirectiveItemIn(Input):
    """One task of a directive: what, to which unit (code) or person, in how many working
    days."""

    title: Annotated[str, text(500, blank=False)]
    description: Annotated[str, text(4000)] = ""
    unit: Annotated[str, text(32)] = Field("", description="The lead unit's code.")
    person: Annotated[str, text(150)] = Field("", description="The person's user name.")
    working_days: int = Field(ge=1, le=services.MAX_DEADLINE_DAYS)


class DirectiveOriginIn(OriginIn):
    """The directive the tasks come from (usually `{"kind": "document", "ref": "<id>"}`)."""

    kind: Literal["request", "document", "indicator", "dossier", "task"]
    ref: Annotated[str, text(64, blank=False)]


class DirectiveIn(Input):
    """Tasks from a directive: its origin (usually a document), the tasks, and optionally
    the plan they join."""

    origin: DirectiveOriginIn
    items: list[DirectiveItemIn] = Field(min_length=1,
                                         max_length=services.MAX_DIRECTIVE_ITEMS)
    plan: DbId | None = None


class DirectiveOut(Schema):
    items: list[TaskOut]


class ScheduleIn(Input):
    """New dates for a task (a drag on the chart)."""

    start: dt.date
    end: dt.date


class ProgressIn(Input):
    percent: int = Field(ge=0, le=100)
    note: Annotated[str, text(4000)] = ""


def _plan_out(plan: Plan) -> dict[str, Any]:
    return {"id": plan.pk, "title": plan.title, "document_number": plan.document_number,
            "document_date": plan.document_date, "unit_code": plan.owner_unit.code,
            "owner_unit_name": plan.owner_unit.name, "fields": plan.fields,
            "status": plan.status,
            "phases": [{"id": p.pk, "name": p.name, "deadline": p.deadline}
                       for p in plan.phases.all()]}


def _plan(request: HttpRequest, plan_id: int) -> Plan:
    found = (Plan.objects.visible_to(auth_user(request)).select_related("owner_unit")
             .filter(pk=plan_id).first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such plan."))
    return found


def _task(request: HttpRequest, task_id: int) -> Task:
    found = (Task.objects.visible_to(auth_user(request))
             .select_related("owner_unit", "lead_unit", "person_in_charge", "assigned_by")
             .filter(pk=task_id).first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such task."))
    return found


def _task_out(task: Any) -> dict[str, Any]:
    person = task.person_in_charge
    origin = of_task(task)
    return {"id": task.pk, "title": task.title, "plan": task.plan_id,
            "unit_code": task.lead_unit.code, "lead_unit_name": task.lead_unit.name,
            "person_in_charge": person.username if person else None,
            "start": task.start, "due": task.due, "progress": task.progress,
            "status": getattr(task, "status", None) or task.status_on(),
            "done_on": task.done_on,
            "origin": {"kind": origin.kind, "ref": origin.ref, "label": origin.label,
                       "url": origin.url} if origin else None}


def _origin_in(payload: OriginIn | None) -> Origin | None:
    return Origin(kind=payload.kind, ref=payload.ref, label=payload.label,
                  url=payload.url) if payload else None


def _assignee(unit_code: str, username: str) -> tuple[Unit | None, User | None]:
    """The unit (by code) and person (by user name) named; 400 when one is unknown."""
    unit = person = None
    if unit_code:
        unit = Unit.objects.active_on().filter(code=unit_code).first()
        if unit is None:
            raise ApiError(PlanCode.UNKNOWN_ASSIGNEE, _("No such unit."))
    if username:
        person = User.objects.filter(username=username, is_active=True).first()
        if person is None:
            raise ApiError(PlanCode.UNKNOWN_ASSIGNEE, _("No such member of staff."))
    return unit, person


@router.get("/plans", response={200: Page[PlanOut], **ERRORS}, auth=AUTH)
def list_plans(request: HttpRequest, limit: int = Query(50, ge=1, le=MAX_PAGE),
               offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    """Plans the caller's units own or have tasks in, newest first."""
    rows = (Plan.objects.visible_to(auth_user(request)).select_related("owner_unit")
            .prefetch_related("phases"))
    page = paginate(rows, limit=limit, offset=offset)
    return {"count": page["count"], "items": [_plan_out(p) for p in page["items"]]}


@router.get("/plans/{plan_id}", response={200: PlanOut, **ERRORS}, auth=AUTH)
def plan_detail(request: HttpRequest, plan_id: DbId) -> dict[str, Any]:
    """One plan with its phases."""
    return _plan_out(_plan(request, plan_id))


@router.get("/plans/{plan_id}/gantt", response={200: GanttOut, **ERRORS}, auth=AUTH)
def plan_gantt(request: HttpRequest, plan_id: DbId, late: bool = Query(
        False, description="Only the tasks overdue or done late (and the links between "
                           "them).")) -> HttpResponse:
    """The chart's data: the tasks the caller may see, with start, end, rolled-up progress,
    derived status, dependencies with lag and whether each is on the critical path."""
    plan = _plan(request, plan_id)
    data = gantt_data(plan, auth_user(request), timezone.localdate(), late_only=late)
    # Written straight to JSON: validating 2,000 tasks against the schema again would take
    # longer than computing them (docs/performance.md); tests hold the body to GanttOut.
    return HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False),
                        content_type="application/json")


class ScorecardOut(Schema):
    rank: int
    key: str = Field(description="The unit's code, or the person's user name.")
    name: str
    due: int = Field(description="Tasks due in the month (cancelled ones do not count).")
    done_on_time: int
    done_late: int
    overdue_now: int
    average_delay: float | None = Field(
        description="Working days late, on average over the tasks done late or overdue.")
    share_met: float = Field(description="Share of the tasks due done on time, 0 to 1.")
    commitments: int = Field(description="Targets to be reached in the month.")
    commitments_met: int
    share_commitments_met: float | None = Field(
        description="Share of those targets met, 0 to 1; null when there is none.")


class ScorecardsOut(Schema):
    period: str
    kind: str
    items: list[ScorecardOut]


@router.get("/scorecards", response={200: ScorecardsOut, **ERRORS}, auth=AUTH)
def list_scorecards(request: HttpRequest,
                    period: str = Query(..., pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$",
                                        description="The month, YYYY-MM."),
                    kind: Literal["unit", "person"] = "unit") -> dict[str, Any]:
    """Per lead unit or person in charge, the tasks due in the month the caller may see:
    done on time, done late, overdue now, average delay, share met; ranked, best first."""
    cards = scorecards(auth_user(request), kind=kind, period=period,
                       calendar=current_calendar(), today=timezone.localdate())
    return {"period": period, "kind": kind, "items": [
        {"rank": c.rank, "key": c.key, "name": c.name or c.key, "due": c.due,
         "done_on_time": c.done_on_time, "done_late": c.done_late,
         "overdue_now": c.overdue_now, "average_delay": c.average_delay,
         "share_met": round(c.share_met, 3), "commitments": c.commitments,
         "commitments_met": c.commitments_met,
         "share_commitments_met": (round(c.share_commitments_met, 3)
                                   if c.share_commitments_met is not None else None)}
        for c in cards]}


class FeedOut(Schema):
    id: int
    kind: Literal["person", "unit"]
    unit: str | None = Field(description="The unit's code, for a unit's feed.")
    unit_name: str | None
    url: str = Field(description="The secret address to subscribe to; keep it private.")


def _feed_out(request: HttpRequest, feed: CalendarFeed) -> dict[str, Any]:
    return {"id": feed.pk, "kind": "unit" if feed.unit else "person",
            "unit": feed.unit.code if feed.unit else None,
            "unit_name": feed.unit.name if feed.unit else None,
            "url": request.build_absolute_uri(feed_url(feed))}


@router.get("/me/calendar-feeds", response={200: list[FeedOut], **ERRORS}, auth=AUTH)
def my_calendar_feeds(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's deadline feeds (iCalendar): their own tasks, and each unit they work in;
    made on the first call."""
    user = auth_user(request)
    return [_feed_out(request, f) for f in ensure_feeds(actor=user, user=user)]


@router.post("/me/calendar-feeds/{feed_id}/renew", response={200: FeedOut, **ERRORS},
             auth=AUTH)
def renew_calendar_feed(request: HttpRequest, feed_id: DbId) -> dict[str, Any]:
    """A new secret address for one of the caller's feeds; the old one stops at once."""
    user = auth_user(request)
    feed = CalendarFeed.objects.select_related("unit").filter(pk=feed_id, owner=user).first()
    if feed is None:
        raise ApiError(Common.NOT_FOUND, _("No such calendar feed."))
    return _feed_out(request, renew_feed(actor=user, feed=feed))


class TaskFilters(Schema):
    unit: Annotated[str, text(32)] = Field(default="", description="Lead unit's code.")
    person: Annotated[str, text(150)] = Field(default="",
                                              description="Person in charge (user name).")
    status: Literal["", "not_started", "in_progress", "done_on_time", "done_late", "overdue",
                    "cancelled"] = ""
    due_before: dt.date | None = Field(default=None, description="Due on or before this day.")
    due_after: dt.date | None = Field(default=None, description="Due on or after this day.")
    plan: DbId | None = None
    origin_kind: Literal["", "none", "request", "document", "indicator", "dossier",
                         "task"] = Field(default="", description="Given from this kind of origin.")
    origin_ref: Annotated[str, text(64)] = Field(
        default="", description="Given from this origin (with `origin_kind`).")


def filtered_tasks(user: Any, filters: TaskFilters, today: dt.date) -> QuerySet[Task]:
    """The tasks the user may see, narrowed by the filters, each with its derived status."""
    rows = Task.objects.visible_to(user).annotate(status=status_expression(today))
    if filters.unit:
        rows = rows.filter(lead_unit__code=filters.unit, lead_unit__valid_to__isnull=True)
    if filters.person:
        rows = rows.filter(person_in_charge__username=filters.person)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.due_before:
        rows = rows.filter(due__lte=filters.due_before)
    if filters.due_after:
        rows = rows.filter(due__gte=filters.due_after)
    if filters.plan:
        rows = rows.filter(plan_id=filters.plan)
    if filters.origin_kind:
        rows = rows.filter(origin_kind=filters.origin_kind)
    if filters.origin_ref:
        rows = rows.filter(origin_ref=filters.origin_ref)
    return rows.select_related("lead_unit", "person_in_charge").order_by("due", "pk")


@router.get("/tasks", response={200: Page[TaskOut], **ERRORS}, auth=AUTH)
def list_tasks(request: HttpRequest, filters: Query[TaskFilters],
               limit: int = Query(50, ge=1, le=MAX_PAGE),
               offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    """Tasks of the caller's units and their own, soonest due first."""
    rows = filtered_tasks(auth_user(request), filters, timezone.localdate())
    page = paginate(rows, limit=limit, offset=offset)
    return {"count": page["count"], "items": [_task_out(t) for t in page["items"]]}


@router.post("/tasks", response={200: TaskOut, 201: TaskOut, **ERRORS}, auth=AUTH)
def assign_task(request: HttpRequest, payload: AssignIn, response: HttpResponse,
                idempotency_key: str = IDEMPOTENCY_KEY) -> Any:
    """"Assign now": a leader gives a unit or a person a task due in so many working days;
    the assignee is told at once and reminded before the deadline. A retry with the same
    `Idempotency-Key` returns the first task with 200."""
    user = auth_user(request)
    unit, person = _assignee(payload.unit, payload.person)
    plan = _plan(request, payload.plan) if payload.plan is not None else None
    made = services.assign_now(actor=user, title=payload.title, working_days=payload.working_days,
                               unit=unit, person=person, description=payload.description,
                               plan=plan, origin=_origin_in(payload.origin),
                               idempotency_key=idempotency_key)
    task = Task.objects.select_related("lead_unit", "person_in_charge").get(pk=made.task.pk)
    return Status(201 if made.created else 200, _task_out(task))


@router.post("/tasks/from-directive", response={200: DirectiveOut, 201: DirectiveOut, **ERRORS},
             auth=AUTH)
def directive_tasks(request: HttpRequest, payload: DirectiveIn,
                    idempotency_key: str = IDEMPOTENCY_KEY) -> Any:
    """Several tasks at once from a directive (a document): each given as "assign now" and
    told at once, all in one transaction or none (`invalid_directive_items` names each bad
    row as `items.N`). A retry with the same `Idempotency-Key` returns the first tasks."""
    user = auth_user(request)
    plan = _plan(request, payload.plan) if payload.plan is not None else None
    items = []
    for row in payload.items:
        unit, person = _assignee(row.unit, row.person)
        items.append(services.DirectiveItem(title=row.title, working_days=row.working_days,
                                            unit=unit, person=person,
                                            description=row.description))
    made = services.tasks_from_directive(actor=user, origin=_origin_in(payload.origin) or NONE,
                                         items=items, plan=plan,
                                         idempotency_key=idempotency_key)
    rows = (Task.objects.select_related("lead_unit", "person_in_charge")
            .filter(pk__in=[t.pk for t in made.tasks]).order_by("pk"))
    return Status(201 if made.created else 200, {"items": [_task_out(t) for t in rows]})


@router.get("/tasks/{task_id}", response={200: TaskDetailOut, **ERRORS}, auth=AUTH)
def task_detail(request: HttpRequest, task_id: DbId) -> dict[str, Any]:
    """One task the caller may see, with its origin."""
    task = _task(request, task_id)
    return {**_task_out(task), "description": task.description,
            "owner_unit_code": task.owner_unit.code,
            "assigned_by": task.assigned_by.username if task.assigned_by else None,
            "coordinating_units": sorted(u.code for u in task.coordinating_units.all())}


@router.put("/tasks/{task_id}/schedule", response={200: TaskOut, **ERRORS}, auth=AUTH)
def reschedule(request: HttpRequest, task_id: DbId, payload: ScheduleIn) -> dict[str, Any]:
    """Move a task's start and end (the chart's drag); for the leaders of its owning unit."""
    task = _task(request, task_id)
    services.reschedule_task(actor=auth_user(request), task=task, start=payload.start,
                             due=payload.end)
    return _task_out(task)


@router.post("/tasks/{task_id}/progress", response={200: TaskOut, **ERRORS}, auth=AUTH)
def report(request: HttpRequest, task_id: DbId, payload: ProgressIn) -> dict[str, Any]:
    """Report a task's progress in percent (100 marks it done today)."""
    task = _task(request, task_id)
    services.report_progress(actor=auth_user(request), task=task, percent=payload.percent,
                             note=payload.note)
    return _task_out(task)


#: An amount as a string: digits, at most two decimals (exact, for sums of VND too large for
#: a JSON number to keep).
_AMOUNT_TEXT = r"^[0-9]{1,17}(\.[0-9]{1,2})?$"


def _amount_text(value: object) -> object:
    # Pydantic would also read " 12", "1e5" or "NaN" as a Decimal: take only what the
    # schema says, so that the document and the answers agree.
    if isinstance(value, str) and re.fullmatch(_AMOUNT_TEXT, value) is None:
        raise ValueError("an amount: digits, with at most two decimals")
    if isinstance(value, float):
        # A JSON number is binary: 0.57 arrives as 0.5700000000000001. Amounts are kept to
        # the cent, so a number is rounded to two decimals (the string form is exact).
        if not math.isfinite(value):
            raise ValueError("an amount: a finite number")
        return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    return value


def _amount_schema(low: dict[str, Any]) -> WithJsonSchema:
    """A JSON number in bounds, or a string of digits."""
    return WithJsonSchema({"anyOf": [
        {"type": "number", **low, "exclusiveMaximum": float(services.MAX_TARGET)},
        {"type": "string", "pattern": _AMOUNT_TEXT, "maxLength": 20}]})


CENT = Decimal("0.01")

#: A target: at least a cent (a smaller number would round to nothing) and below
#: MAX_TARGET; a reported value: 0 or more.
PositiveAmount = Annotated[
    Decimal, BeforeValidator(_amount_text),
    Field(gt=0, lt=services.MAX_TARGET, max_digits=20, decimal_places=2),
    _amount_schema({"minimum": 0.01})]
Amount = Annotated[
    Decimal, BeforeValidator(_amount_text),
    Field(ge=0, lt=services.MAX_TARGET, max_digits=20, decimal_places=2),
    _amount_schema({"minimum": 0})]


# Not "TargetIn": the indicators' yearly target has that name, and the OpenAPI document
# keeps one schema a name (the task's body was described as the indicators').
class TaskTargetIn(Input):
    """A task's numeric target: reach `value` (in `measure`) by the day `by`."""

    value: PositiveAmount
    measure: Annotated[str, text(32, blank=False)] = Field(
        description="What it counts: VND, %, records ...")
    by: dt.date


class TargetValueIn(Input):
    """The running total reached, as of a day (today when omitted)."""

    value: Amount
    on: dt.date | None = None
    note: Annotated[str, text(4000)] = ""


class TargetValueOut(Schema):
    value: Decimal
    on: dt.date
    note: str
    by: str | None = Field(description="Who reported it (user name).")


class TargetOut(TargetStateOut):
    """A task's target, its state, and every value reported, oldest first."""

    task: int
    values: list[TargetValueOut]


def _target_out(task: Task) -> dict[str, Any]:
    state = target_states(Task.objects.filter(pk=task.pk), timezone.localdate()).get(task.pk)
    if state is None:
        raise ApiError(PlanCode.NO_TARGET, _("The task has no target."))
    rows = TargetValue.objects.filter(target__task=task).select_related("by")
    return {"task": task.pk, **state.as_dict(),
            "values": [{"value": v.value, "on": v.on, "note": v.note,
                        "by": v.by.username if v.by else None} for v in rows]}


@router.get("/tasks/{task_id}/target", response={200: TargetOut, **ERRORS}, auth=AUTH)
def task_target(request: HttpRequest, task_id: DbId) -> dict[str, Any]:
    """A task's target, whether it is met, and the values reported against it."""
    return _target_out(_task(request, task_id))


@router.put("/tasks/{task_id}/target", response={200: TargetOut, **ERRORS}, auth=AUTH)
def put_target(request: HttpRequest, task_id: DbId, payload: TaskTargetIn) -> dict[str, Any]:
    """Give a task a numeric target, or change it; for the leaders of its owning unit."""
    task = _task(request, task_id)
    services.set_target(actor=auth_user(request), task=task, value=payload.value,
                        measure=payload.measure, by=payload.by)
    return _target_out(task)


@router.post("/tasks/{task_id}/target/values", response={200: TargetOut, **ERRORS},
             auth=AUTH)
def report_target(request: HttpRequest, task_id: DbId,
                  payload: TargetValueIn) -> dict[str, Any]:
    """Report the running total reached against a task's target (409 when it has none)."""
    task = _task(request, task_id)
    services.report_target_value(actor=auth_user(request), task=task, value=payload.value,
                                 on=payload.on or timezone.localdate(), note=payload.note)
    return _target_out(task)
