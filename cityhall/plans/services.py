"""Writes on plans and tasks: each keyword-only, with an actor, one transaction, an audit entry.

Notices (a task given, a reminder) are written in the same transaction through
cityhall.notifications: in-app at once, other channels through its outbox after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.notifications import services as notices
from cityhall.orgunits.models import Unit
from cityhall.plans import policy
from cityhall.plans.audit_actions import PlanAudit
from cityhall.plans.critical import CycleError, Link, topological_order
from cityhall.plans.errors import PlanCode, PlanError
from cityhall.plans.models import (
    Decision,
    Dependency,
    ExtensionRequest,
    Field,
    Phase,
    Plan,
    ProgressReport,
    Target,
    TargetValue,
    Task,
)
from cityhall.plans.origins import Origin, checked
from cityhall.plans.schedule import deadline_after
from cityhall.plans.workbook import PlanSheet, WorkbookError
from cityhall.workflow.calendar_data import current_calendar

#: How many working days before its due date a task's assignee is reminded.
REMIND_WORKING_DAYS = 2
#: The longest deadline "assign now" takes, in working days (about a year).
MAX_DEADLINE_DAYS = 250


def _user(actor: audit.Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _refuse_unless_steering(actor: audit.Actor, unit: Unit) -> None:
    if actor is audit.SYSTEM or isinstance(actor, audit.SystemActor):
        return
    if not policy.may_steer(actor, unit):
        raise PlanError(Common.NOT_ALLOWED, _("Only the leaders of %(unit)s may do this.")
                        % {"unit": unit.name})


def _check_dates(start: dt.date, due: dt.date) -> None:
    if due < start:
        raise PlanError(PlanCode.INVALID_DATES, {"due": _("The due date comes before the start.")})


@dataclass(frozen=True)
class PhaseIn:
    """A phase to create with its plan."""

    name: str
    deadline: dt.date


def create_plan(
    *, actor: audit.Actor, title: str, owner_unit: Unit, document_number: str = "",
    document_date: str = "", fields: Sequence[str] = (), phases: Sequence[PhaseIn] = (),
) -> Plan:
    """Create a plan with its phases; for the leaders of the owning unit."""
    _refuse_unless_steering(actor, owner_unit)
    title = title.strip()
    if not title:
        raise PlanError(Common.INVALID, {"title": _("Give the plan a title.")})
    unknown = [f for f in fields if f not in Field.values]
    if unknown:
        raise PlanError(Common.INVALID, {"fields": _("Unknown field: %(f)s.")
                                         % {"f": ", ".join(unknown)}})
    with transaction.atomic():
        plan = Plan.objects.create(title=title[:500], owner_unit=owner_unit,
                                   document_number=document_number[:64],
                                   document_date=document_date[:64], fields=list(fields))
        Phase.objects.bulk_create([Phase(plan=plan, name=p.name[:200], deadline=p.deadline)
                                   for p in phases])
        audit.record(actor=actor, action=PlanAudit.PLAN_CREATE, obj=plan, unit=owner_unit,
                     changes={"title": plan.title, "document_number": plan.document_number,
                              "phases": [[p.name, p.deadline.isoformat()] for p in phases]})
    return plan


def _refuse_cycle(plan_id: int, extra: Link) -> None:
    """Refuse a link that would close a circle among the plan's tasks."""
    links = [Link(before=b, after=a) for b, a in Dependency.objects.filter(
        successor__plan_id=plan_id).values_list("predecessor_id", "successor_id")]
    links.append(extra)
    ids = {x for link in links for x in (link.before, link.after)}
    try:
        topological_order(ids, links)
    except CycleError as cycle:
        raise PlanError(PlanCode.DEPENDENCY_CYCLE, _(
            "This dependency would make tasks wait for each other in a circle "
            "(tasks %(ids)s).") % {"ids": ", ".join(map(str, cycle.members))}) from None


def add_dependency(*, actor: audit.Actor, predecessor: Task, successor: Task,
                   lag: int = 0) -> Dependency:
    """Make `successor` start `lag` working days after `predecessor` finishes."""
    if successor.plan_id is None or predecessor.plan_id != successor.plan_id:
        raise PlanError(PlanCode.DEPENDENCY_ACROSS_PLANS,
                        _("A dependency links two tasks of the same plan."))
    _refuse_unless_steering(actor, successor.owner_unit)
    if not 0 <= lag <= 365:
        raise PlanError(Common.INVALID, {"lag": _("The lag is 0 to 365 working days.")})
    with transaction.atomic():
        _refuse_cycle(successor.plan_id, Link(before=predecessor.pk, after=successor.pk))
        link, _created = Dependency.objects.update_or_create(
            predecessor=predecessor, successor=successor, defaults={"lag": lag})
        audit.record(actor=actor, action=PlanAudit.DEPENDENCY_ADD, obj=successor,
                     unit=successor.owner_unit,
                     changes={"predecessor": predecessor.pk, "lag": lag})
    return link


def create_task(
    *, actor: audit.Actor, plan: Plan, title: str, lead_unit: Unit, start: dt.date,
    due: dt.date, description: str = "", phase: Phase | None = None,
    coordinating_units: Iterable[Unit] = (), person_in_charge: User | None = None,
    weight: int = 1, parent: Task | None = None,
    depends_on: Sequence[tuple[Task, int]] = (),
) -> Task:
    """Add a task to a plan; for the leaders of the plan's owning unit."""
    _refuse_unless_steering(actor, plan.owner_unit)
    title = title.strip()
    if not title:
        raise PlanError(Common.INVALID, {"title": _("Give the task a title.")})
    _check_dates(start, due)
    if phase is not None and phase.plan_id != plan.pk:
        raise PlanError(Common.INVALID, {"phase": _("The phase belongs to another plan.")})
    if parent is not None and parent.plan_id != plan.pk:
        raise PlanError(Common.INVALID, {"parent": _("The parent task is in another plan.")})
    if not 0 <= weight <= 1000:
        raise PlanError(Common.INVALID, {"weight": _("The weight is 0 to 1000.")})
    with transaction.atomic():
        task = Task.objects.create(
            plan=plan, phase=phase, owner_unit=plan.owner_unit, title=title[:500],
            description=description, lead_unit=lead_unit, person_in_charge=person_in_charge,
            start=start, due=due, weight=weight, parent=parent, assigned_by=_user(actor))
        helping = list(coordinating_units)
        task.coordinating_units.set(helping)
        for before, lag in depends_on:
            add_dependency(actor=actor, predecessor=before, successor=task, lag=lag)
        audit.record(actor=actor, action=PlanAudit.TASK_CREATE, obj=task, unit=plan.owner_unit,
                     changes={"plan": plan.pk, "title": task.title, "lead_unit": lead_unit.code,
                              "start": start.isoformat(), "due": due.isoformat(),
                              "coordinating_units": [u.code for u in helping]})
    return task


def _tell_assigned(task: Task) -> None:
    recipients = ([task.person_in_charge] if task.person_in_charge is not None
                  else policy.told_of([task.lead_unit_id]).get(task.lead_unit_id, []))
    notices.notify(recipients=recipients, channels=["in_app", "email"],
                   template="plans_task_assigned",
                   context={"title": task.title, "due": task.due,
                            "by": task.owner_unit.name, "origin": task.origin_label},
                   subject_ref=f"plans.task:{task.pk}")


def _assigner_unit(actor: User, target: Unit) -> Unit:
    """The unit the leader gives the task from: the deepest one they lead above `target`."""
    led = [u for u in policy.steered_units(actor) if target.path.startswith(u.path)]
    if not led and actor.is_superuser:
        led = list(Unit.objects.active_on().filter(parent__isnull=True).order_by("pk")[:1])
    if not led:
        raise PlanError(Common.NOT_ALLOWED,
                        _("You may give tasks only to units you lead and their people."))
    return max(led, key=lambda u: len(u.path))


def _idempotency_scope(actor: audit.Actor) -> str:
    return f"user:{actor.pk}" if isinstance(actor, User) else f"key:{getattr(actor, 'pk', '')}"


@dataclass(frozen=True)
class Assigned:
    """The outcome of "assign now": the task, and whether this call made it."""

    task: Task
    created: bool


@dataclass(frozen=True)
class _Ready:
    """A task checked and ready to give: its lead unit, person, owner and dates."""

    title: str
    unit: Unit
    person: User | None
    owner: Unit
    start: dt.date
    due: dt.date
    working_days: int


def _ready(*, actor: User, title: str, working_days: int, unit: Unit | None,
           person: User | None, plan: Plan | None, today: dt.date | None) -> _Ready:
    """Check one task to give now (PlanError otherwise); nothing is written."""
    title = title.strip()
    if not title:
        raise PlanError(Common.INVALID, {"title": _("Give the task a title.")})
    if not 1 <= working_days <= MAX_DEADLINE_DAYS:
        raise PlanError(PlanCode.INVALID_DEADLINE, _(
            "The deadline is 1 to %(max)d working days.") % {"max": MAX_DEADLINE_DAYS})
    if unit is None and person is not None:
        first = person.memberships.active_on().select_related("unit").order_by("pk").first()
        unit = first.unit if first is not None else None
    if unit is None:
        raise PlanError(PlanCode.UNKNOWN_ASSIGNEE, _("Name a unit or a member of its staff."))
    if person is not None and not person.memberships.active_on().filter(unit=unit).exists():
        raise PlanError(PlanCode.UNKNOWN_ASSIGNEE,
                        _("%(person)s does not work in %(unit)s.")
                        % {"person": person.display_name,
                           "unit": unit.name})
    owner = _assigner_unit(actor, unit)
    if plan is not None and not policy.may_steer(actor, plan.owner_unit):
        raise PlanError(Common.NOT_ALLOWED, _("Only the plan's leaders add tasks to it."))
    start = today or timezone.localdate()
    due = deadline_after(current_calendar(), start, working_days)
    return _Ready(title=title[:500], unit=unit, person=person,
                  owner=plan.owner_unit if plan else owner, start=start, due=due,
                  working_days=working_days)


def _give(*, actor: User, ready: _Ready, description: str, plan: Plan | None, origin: Origin,
          scope: str, key: str) -> Task:
    """Write a checked task, its audit entry and its notice (in the caller's transaction)."""
    task = Task.objects.create(
        plan=plan, owner_unit=ready.owner, title=ready.title, description=description,
        lead_unit=ready.unit, person_in_charge=ready.person, start=ready.start, due=ready.due,
        assigned_by=actor, idempotency_scope=scope if key else "", idempotency_key=key,
        origin_kind=origin.kind, origin_ref=origin.ref, origin_label=origin.label,
        origin_url=origin.url)
    changes: dict[str, Any] = {
        "title": task.title, "lead_unit": ready.unit.code,
        "person": ready.person.pk if ready.person else None,
        "working_days": ready.working_days, "due": ready.due.isoformat()}
    if not origin.empty:
        changes["origin"] = {"kind": origin.kind, "ref": origin.ref}
    audit.record(actor=actor, action=PlanAudit.TASK_ASSIGN, obj=task, unit=ready.unit,
                 changes=changes)
    _tell_assigned(task)
    return task


def assign_now(
    *, actor: User, title: str, working_days: int, unit: Unit | None = None,
    person: User | None = None, description: str = "", plan: Plan | None = None,
    origin: Origin | None = None, idempotency_key: str = "", today: dt.date | None = None,
) -> Assigned:
    """A leader gives a unit or a person a task due in `working_days` working days.

    The unit defaults to the person's unit (their first membership); the assignee is told
    at once, and reminded before the deadline by the `plans.reminders` job. `origin` is
    what the task comes from (plans/origins.py; checked for the actor). A repeated
    `idempotency_key` from the same actor returns the first task.
    """
    key = idempotency_key.strip()[:100]
    scope = _idempotency_scope(actor)
    if key:
        found = Task.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
        if found is not None:
            return Assigned(task=found, created=False)
    ready = _ready(actor=actor, title=title, working_days=working_days, unit=unit,
                   person=person, plan=plan, today=today)
    where = checked(origin, actor)
    with transaction.atomic():
        task = _give(actor=actor, ready=ready, description=description, plan=plan,
                     origin=where, scope=scope, key=key)
    return Assigned(task=task, created=True)


#: The most tasks one directive gives at once.
MAX_DIRECTIVE_ITEMS = 50


@dataclass(frozen=True)
class DirectiveItem:
    """One task a directive gives: what, to which unit or person, in how many working days."""

    title: str
    working_days: int
    unit: Unit | None = None
    person: User | None = None
    description: str = ""


@dataclass(frozen=True)
class Directed:
    """The outcome of `tasks_from_directive`: the tasks, and whether this call made them."""

    tasks: list[Task]
    created: bool


def tasks_from_directive(
    *, actor: User, origin: Origin, items: Sequence[DirectiveItem], plan: Plan | None = None,
    idempotency_key: str = "", today: dt.date | None = None,
) -> Directed:
    """The hook for documents: a directive (or any document a leader handles) gives several
    tasks at once, each as "assign now" would, all or none.

    Only leaders (`not_allowed` otherwise). Every row is checked first and a refusal lists
    each bad row (`invalid_directive_items`, detail `{"items.N": message}`, N from 0);
    then one transaction writes the tasks, each
    with the directive as its origin, its audit entry and its notice, and one entry
    `plans.directive_tasks` for the whole. A repeated `idempotency_key` from the same actor
    returns the first call's tasks.
    """
    key = idempotency_key.strip()[:90]
    scope = _idempotency_scope(actor)
    if key:
        found = list(Task.objects.filter(idempotency_scope=scope,
                                         idempotency_key__startswith=f"{key}#").order_by("pk"))
        if found:
            return Directed(tasks=found, created=False)
    if not items or len(items) > MAX_DIRECTIVE_ITEMS:
        raise PlanError(PlanCode.NO_DIRECTIVE_ITEMS, _(
            "Give 1 to %(max)d tasks.") % {"max": MAX_DIRECTIVE_ITEMS})
    if not actor.is_superuser and not policy.steered_units(actor):
        raise PlanError(Common.NOT_ALLOWED,
                        _("You may give tasks only to units you lead and their people."))
    where = checked(origin, actor)
    if where.empty:
        raise PlanError(PlanCode.INVALID_ORIGIN, {"origin.kind": _("Name the directive.")})
    problems: dict[str, str] = {}
    ready: list[_Ready] = []
    for n, item in enumerate(items):
        try:
            ready.append(_ready(actor=actor, title=item.title, working_days=item.working_days,
                                unit=item.unit, person=item.person, plan=plan, today=today))
        except PlanError as refusal:
            detail = refusal.detail
            problems[f"items.{n}"] = (detail if isinstance(detail, str)
                                      else "; ".join(map(str, detail.values())))
    if problems:
        raise PlanError(PlanCode.NO_DIRECTIVE_ITEMS, problems)
    with transaction.atomic():
        made = [_give(actor=actor, ready=r, description=item.description, plan=plan,
                      origin=where, scope=scope, key=f"{key}#{n}" if key else "")
                for n, (r, item) in enumerate(zip(ready, items, strict=True))]
        audit.record(actor=actor, action=PlanAudit.DIRECTIVE_TASKS, obj=made[0],
                     unit=made[0].owner_unit,
                     changes={"origin": {"kind": where.kind, "ref": where.ref},
                              "plan": plan.pk if plan else None,
                              "tasks": [t.pk for t in made]})
    return Directed(tasks=made, created=True)


def _refuse_closed(task: Task) -> None:
    if task.cancelled:
        raise PlanError(PlanCode.TASK_CLOSED, _("The task is cancelled."))


def report_progress(*, actor: audit.Actor, task: Task, percent: int, note: str = "",
                    now: dt.datetime | None = None) -> ProgressReport:
    """Record a task's progress; 100 % marks it done on the report's day."""
    if isinstance(actor, User) and not policy.may_report(actor, task):
        raise PlanError(Common.NOT_ALLOWED, _("Only the task's unit reports its progress."))
    _refuse_closed(task)
    if not 0 <= percent <= 100:
        raise PlanError(PlanCode.INVALID_PROGRESS, {"percent": _("Progress is 0 to 100 %.")})
    now = now or timezone.now()
    with transaction.atomic():
        before = {"progress": task.progress, "done_on": task.done_on}
        report = ProgressReport.objects.create(task=task, at=now, percent=percent,
                                               note=note[:4000], by=_user(actor))
        task.progress = percent
        task.done_on = timezone.localdate(now) if percent == 100 else None
        task.save(update_fields=["progress", "done_on"])
        audit.record(actor=actor, action=PlanAudit.PROGRESS_REPORT, obj=task,
                     unit=task.lead_unit,
                     changes={"progress": [before["progress"], percent],
                              "done_on": [str(before["done_on"] or ""),
                                          str(task.done_on or "")]})
    return report


def cancel_task(*, actor: audit.Actor, task: Task, reason: str) -> Task:
    """Cancel a task (it stays on the chart, greyed, and out of the roll-up and the path)."""
    _refuse_unless_steering(actor, task.owner_unit)
    if not reason.strip():
        raise PlanError(Common.REASON_REQUIRED, {"reason": _("Say why.")})
    _refuse_closed(task)
    with transaction.atomic():
        task.cancelled = True
        task.save(update_fields=["cancelled"])
        audit.record(actor=actor, action=PlanAudit.TASK_CANCEL, obj=task, unit=task.owner_unit,
                     changes={"reason": reason.strip()[:500]})
    return task


def reschedule_task(*, actor: audit.Actor, task: Task, start: dt.date, due: dt.date) -> Task:
    """Move a task's dates (a drag on the chart); for the leaders of its owning unit."""
    _refuse_unless_steering(actor, task.owner_unit)
    _refuse_closed(task)
    _check_dates(start, due)
    with transaction.atomic():
        before = [task.start.isoformat(), task.due.isoformat()]
        task.start, task.due = start, due
        task.save(update_fields=["start", "due"])
        audit.record(actor=actor, action=PlanAudit.TASK_RESCHEDULE, obj=task,
                     unit=task.owner_unit,
                     changes={"start": [before[0], start.isoformat()],
                              "due": [before[1], due.isoformat()]})
    return task


def request_extension(*, actor: audit.Actor, task: Task, new_due: dt.date,
                      reason: str, now: dt.datetime | None = None,
                      tell: bool = True) -> ExtensionRequest:
    """Ask the plan's owner to move the due date; one request waits at a time. The owning
    unit's leaders are told (unless `tell` is False: history loaded, not news)."""
    if isinstance(actor, User) and not policy.may_report(actor, task):
        raise PlanError(Common.NOT_ALLOWED, _("Only the task's unit asks to extend it."))
    _refuse_closed(task)
    if task.done_on is not None:
        raise PlanError(PlanCode.TASK_CLOSED, _("The task is done."))
    if not reason.strip():
        raise PlanError(Common.REASON_REQUIRED, {"reason": _("Say why.")})
    if new_due <= task.due:
        raise PlanError(PlanCode.INVALID_DATES,
                        {"due": _("Ask for a date after the current due date.")})
    with transaction.atomic():
        Task.objects.select_for_update().filter(pk=task.pk).first()
        if task.extensions.filter(decision=Decision.PENDING).exists():
            raise PlanError(PlanCode.EXTENSION_PENDING,
                            _("A request to extend this task is already waiting."))
        asked = ExtensionRequest.objects.create(
            task=task, asked_due=new_due, previous_due=task.due, reason=reason.strip()[:4000],
            asked_by=_user(actor), asked_at=now or timezone.now())
        audit.record(actor=actor, action=PlanAudit.EXTENSION_REQUEST, obj=task,
                     unit=task.owner_unit,
                     changes={"due": [task.due.isoformat(), new_due.isoformat()]})
        if tell:
            _tell_extension_asked(task, asked)
    return asked


def _tell_extension_asked(task: Task, asked: ExtensionRequest) -> None:
    """The plan owner's leaders hear of a request waiting for their decision."""
    asker = asked.asked_by
    notices.notify(recipients=[u for u in policy.deciders_of(task.owner_unit_id)
                               if asker is None or u.pk != asker.pk],
                   channels=["in_app", "email"], template="plans_extension_asked",
                   context={"title": task.title, "due": asked.previous_due,
                            "asked_due": asked.asked_due, "reason": asked.reason,
                            "by": asker.display_name if asker else ""},
                   subject_ref=f"plans.task:{task.pk}")


def _tell_extension_decided(task: Task, asked: ExtensionRequest) -> None:
    """Who asked, and the person in charge, hear of the decision."""
    people = {u.pk: u for u in (asked.asked_by, task.person_in_charge) if u is not None}
    notices.notify(recipients=list(people.values()), channels=["in_app", "email"],
                   template="plans_extension_decided",
                   context={"title": task.title, "approved": asked.decision == Decision.APPROVED,
                            "due": task.due, "asked_due": asked.asked_due,
                            "note": asked.decision_note},
                   subject_ref=f"plans.task:{task.pk}")



def decide_extension(*, actor: audit.Actor, request: ExtensionRequest, approve: bool,
                     note: str = "", now: dt.datetime | None = None,
                     tell: bool = True) -> ExtensionRequest:
    """Approve (the due date moves) or refuse a request; for the task's owning unit. Who
    asked and the person in charge are told (unless `tell` is False)."""
    task = request.task
    _refuse_unless_steering(actor, task.owner_unit)
    with transaction.atomic():
        fresh = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        if fresh.decision != Decision.PENDING:
            raise PlanError(Common.INVALID_STATE, _("This request has been decided."))
        request.decision = Decision.APPROVED if approve else Decision.REFUSED
        request.decided_by = _user(actor)
        request.decided_at = now or timezone.now()
        request.decision_note = note.strip()[:4000]
        request.save(update_fields=["decision", "decided_by", "decided_at", "decision_note"])
        if approve:
            task.due = request.asked_due
            task.save(update_fields=["due"])
        audit.record(actor=actor, action=PlanAudit.EXTENSION_DECIDE, obj=task,
                     unit=task.owner_unit,
                     changes={"decision": request.decision,
                              "due": [request.previous_due.isoformat(),
                                      task.due.isoformat()]})
        if tell:
            _tell_extension_decided(task, request)
    return request


#: The largest target or reported value a task carries (a city budget, in VND, fits).
MAX_TARGET = Decimal("1e17")


def set_target(*, actor: audit.Actor, task: Task, value: Decimal, measure: str,
               by: dt.date) -> Target:
    """Give a task a numeric target (or change it); for the leaders of its owning unit."""
    _refuse_unless_steering(actor, task.owner_unit)
    _refuse_closed(task)
    measure = measure.strip()
    if not measure:
        raise PlanError(Common.INVALID, {"measure": _("Say what the target counts (VND, %).")})
    if not Decimal(0) < value < MAX_TARGET:
        raise PlanError(Common.INVALID, {"value": _("The target is a positive number.")})
    with transaction.atomic():
        before = Target.objects.filter(task=task).first()
        target, _created = Target.objects.update_or_create(
            task=task, defaults={"value": value, "measure": measure[:32], "by": by,
                                 "set_by": _user(actor), "set_at": timezone.now()})
        audit.record(actor=actor, action=PlanAudit.TARGET_SET, obj=task, unit=task.owner_unit,
                     changes={"value": [str(before.value) if before else None, str(value)],
                              "measure": target.measure, "by": by.isoformat()})
    return target


def report_target_value(*, actor: audit.Actor, task: Task, value: Decimal, on: dt.date,
                        note: str = "") -> TargetValue:
    """Report the running total reached against a task's target as of a day (not ahead)."""
    if isinstance(actor, User) and not policy.may_report(actor, task):
        raise PlanError(Common.NOT_ALLOWED, _("Only the task's unit reports its progress."))
    _refuse_closed(task)
    target = Target.objects.filter(task=task).first()
    if target is None:
        raise PlanError(PlanCode.NO_TARGET, _("The task has no target to report against."))
    if not Decimal(0) <= value < MAX_TARGET:
        raise PlanError(Common.INVALID, {"value": _("The value is a number, 0 or more.")})
    if on > timezone.localdate():
        raise PlanError(Common.INVALID, {"on": _("Report a value as of today or earlier.")})
    with transaction.atomic():
        reported = TargetValue.objects.create(target=target, value=value, on=on,
                                              note=note[:4000], by=_user(actor))
        audit.record(actor=actor, action=PlanAudit.TARGET_REPORT, obj=task,
                     unit=task.lead_unit,
                     changes={"value": str(value), "on": on.isoformat(),
                              "target": str(target.value), "measure": target.measure})
    return reported


@dataclass(frozen=True)
class Reminded:
    """What a round of reminders did."""

    sent: int


def send_reminders(*, limit: int, today: dt.date | None = None) -> Reminded:
    """Remind the assignees of open tasks due within REMIND_WORKING_DAYS working days.

    A task is claimed by a conditional UPDATE on `reminded_for` (so two workers never
    remind twice); the reminder is for its current due date, and an approved extension
    makes it due for a new one.
    """
    today = today or timezone.localdate()
    horizon = deadline_after(current_calendar(), today, REMIND_WORKING_DAYS)
    due_soon = (Task.objects.open().filter(due__gte=today, due__lte=horizon)
                .exclude(reminded_for=F("due"))
                .select_related("person_in_charge", "lead_unit", "owner_unit")
                .order_by("due", "pk")[:limit])
    sent = 0
    for task in due_soon:
        with transaction.atomic():
            claimed = (Task.objects.filter(pk=task.pk, due=task.due)
                       .exclude(reminded_for=task.due).update(reminded_for=task.due))
            if not claimed:
                continue
            recipients: list[Any] = ([task.person_in_charge] if task.person_in_charge
                                     else policy.told_of([task.lead_unit_id])
                                     .get(task.lead_unit_id, []))
            notices.notify(recipients=recipients, channels=["in_app", "email"],
                           template="plans_task_reminder",
                           context={"title": task.title, "due": task.due},
                           subject_ref=f"plans.task:{task.pk}")
            audit.record(actor=audit.SYSTEM, action=PlanAudit.TASK_REMIND, obj=task,
                         unit=task.lead_unit, changes={"due": task.due.isoformat()})
            sent += 1
    return Reminded(sent=sent)



def refuse_import(*, actor: audit.Actor, source: str, problems: Sequence[str]) -> None:
    """Record a refused plan import (nothing else is written)."""
    with transaction.atomic():
        audit.record(actor=actor, action=PlanAudit.PLAN_IMPORT_REFUSED,
                     changes={"source": source[:200], "problems": len(problems),
                              "first": problems[0][:300] if problems else ""})


def import_plan(*, actor: audit.Actor, sheet: PlanSheet, source: str = "") -> Plan:
    """Create a plan from a checked workbook: all its tasks, links and progress, or nothing.

    Units are named by code (open units only), people by user name; a name that matches
    nothing refuses the whole file with every such problem listed (WorkbookError).
    """
    codes = {sheet.owner_unit} | {t.lead_unit for t in sheet.tasks} | {
        c for t in sheet.tasks for c in t.coordinating_units}
    units = {u.code: u for u in Unit.objects.active_on().filter(code__in=codes)}
    names = {t.person_in_charge for t in sheet.tasks if t.person_in_charge}
    people = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    problems = [f"unknown unit code {code!r}" for code in sorted(codes - set(units))]
    problems += [f"unknown person {name!r}" for name in sorted(names - set(people))]
    if problems:
        raise WorkbookError(problems)
    today = timezone.localdate()
    with transaction.atomic():
        plan = create_plan(
            actor=actor, title=sheet.title, owner_unit=units[sheet.owner_unit],
            document_number=sheet.document_number, document_date=sheet.document_date,
            fields=sheet.fields,
            phases=list(dict.fromkeys(PhaseIn(t.phase, t.phase_deadline) for t in sheet.tasks
                                      if t.phase and t.phase_deadline)))
        phases = {p.name: p for p in plan.phases.all()}
        made: dict[str, Task] = {}
        for row in sheet.tasks:
            made[row.key] = create_task(
                actor=actor, plan=plan, title=row.title, description=row.description,
                lead_unit=units[row.lead_unit], start=row.start, due=row.due,
                phase=phases.get(row.phase), weight=row.weight,
                coordinating_units=[units[c] for c in row.coordinating_units],
                person_in_charge=people.get(row.person_in_charge))
        for row in sheet.tasks:
            task = made[row.key]
            if row.parent:
                task.parent = made[row.parent]
                task.save(update_fields=["parent"])
            for key, lag in row.depends_on:
                add_dependency(actor=actor, predecessor=made[key], successor=task, lag=lag)
            if row.progress:
                day = row.done_on or today
                report_progress(actor=actor, task=task, percent=row.progress,
                                note=_("Imported from %(file)s.") % {"file": source or "XLSX"},
                                now=dt.datetime.combine(day, dt.time(12),
                                                        tzinfo=timezone.get_current_timezone()))
            if row.cancelled:
                cancel_task(actor=actor, task=task, reason=source or "XLSX")
        audit.record(actor=actor, action=PlanAudit.PLAN_IMPORT, obj=plan,
                     unit=plan.owner_unit,
                     changes={"source": source[:200], "tasks": len(made)})
    return plan
