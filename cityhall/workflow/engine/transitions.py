"""The transition core: start a case, take an action on one case or many, move a deadline."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.accounts.models import User
from cityhall.accounts.scope import scope_of
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.core.models import AuditEntry
from cityhall.notifications import services as notifications
from cityhall.orgunits.models import Unit
from cityhall.workflow import definitions
from cityhall.workflow.audit_actions import WorkflowAudit
from cityhall.workflow.calendar_data import current_calendar
from cityhall.workflow.engine import planning
from cityhall.workflow.engine.bulk import bulk_set
from cityhall.workflow.engine.cases import (
    WRITTEN,
    copy_fields,
    lock,
    new_step,
    reuse_unit,
    snapshot,
    tell_steps,
    written_values,
)
from cityhall.workflow.engine.errors import BatchError, WorkflowCode, WorkflowError
from cityhall.workflow.engine.notices import (
    Event,
    LeadersOf,
    leaders_by_unit,
    leaders_lookup,
    notices_for,
    notify,
)
from cityhall.workflow.engine.planning import Deadline
from cityhall.workflow.engine.registry import case_spec, workflow_name
from cityhall.workflow.engine.roles import may_take
from cityhall.workflow.models import Transition, WorkflowCase, WorkflowDefinition
from cityhall.workflow.spec import Action, Spec
from cityhall.workflow.workcalendar import WorkCalendar

#: Given the started cases (saved, with their ids), the caller's own audit entries and
#: notices, written with the engine's in the same statements.
AlsoWrite = Callable[[Sequence[WorkflowCase]], tuple[Sequence[AuditEntry],
                                                     Sequence[notifications.Notice]]]


def _begin(case: WorkflowCase, *, workflow_id: int, assignee: User | None,
           due_at: dt.datetime | None, now: dt.datetime, cal: WorkCalendar) -> Spec:
    """Put the new `case` in the start state of version `workflow_id`, in memory; its spec."""
    if case.workflow_id is not None:
        raise WorkflowError(WorkflowCode.ALREADY_STARTED)
    case.workflow_id = workflow_id
    spec = definitions.spec_of(case.workflow_id)
    first = spec.start_state
    case.state = first
    case.assignee = assignee
    case.started_at = case.state_entered_at = now
    case.due_at = due_at or planning.span_end(cal, now, spec.deadline)
    case.state_due_at = planning.span_end(cal, now, spec.states[first].deadline)
    case.sweep_stage, case.next_sweep_at = planning.schedule(case, spec, cal, planning.REMIND)
    case.steps = 1
    return spec


def start(
    case: WorkflowCase, *, actor: audit.Actor, assignee: User | None = None, comment: str = "",
    deadline: Deadline | None = None, now: dt.datetime | None = None,
    also: AlsoWrite | None = None,
) -> Transition:
    """Put a new case on its workflow's latest version, in the start state, with deadlines.

    `deadline` (a moment, or a span from now such as `{"working_days": 15}`) replaces the
    definition's case deadline, e.g. a category's own; the start step records it. `also`
    gives the caller's own audit entries and notices about the new case, written in the
    same statements as the engine's.
    """
    name = workflow_name(case)
    if case.workflow_id is not None:
        raise WorkflowError(WorkflowCode.ALREADY_STARTED)
    now = now or timezone.now()
    cal = current_calendar()
    due_at = planning.deadline_at(cal, now, deadline) if deadline is not None else None
    # No savepoint of its own: inside a caller's transaction a failure here undoes the
    # caller's work anyway, and a savepoint costs two statements per start.
    with transaction.atomic(savepoint=False):
        spec = _begin(case, workflow_id=definitions.latest_id(name), assignee=assignee,
                      due_at=due_at, now=now, cal=cal)
        case.save()
        step = new_step(case, action="start", from_state="", actor=actor, now=now, cal=cal,
                        assignee_before=None, comment=comment)
        step.save()
        tell_steps([(case, step)])
        entry = audit.entry(actor=actor, action=WorkflowAudit.START, obj=case,
                            changes=audit.diff({}, snapshot(case)), unit=case.unit)
        extra_entries, extra_notices = also([case]) if also is not None else ((), ())
        if extra_entries:
            AuditEntry.objects.bulk_create([entry, *extra_entries])
        else:
            entry.save()
        events = [Event(case, spec, "start", actor, None, comment)]
        notifications.notify_many([*notices_for(events, leaders_lookup(), [actor, assignee]),
                                   *extra_notices])
    return step


@dataclass(frozen=True)
class NewCase:
    """A case to start with `start_many`, with who starts it and its own deadline."""

    case: WorkflowCase
    actor: audit.Actor
    comment: str = ""
    deadline: Deadline | None = None
    assignee: User | None = None


@dataclass
class Started:
    """What `start_many` wrote besides the cases: their steps, in the order given."""

    steps: list[Transition]


def start_many(
    starts: Sequence[NewCase], *, now: dt.datetime | None = None,
    also: AlsoWrite | None = None,
) -> Started:
    """Start many new cases of one type in one transaction, each table written once.

    Each case gets what `start` gives it (latest definition version, start state,
    deadlines from the working-day calendar, a start step, an audit entry, the notices
    the definition asks for); one INSERT for the cases, one for the steps, one for the
    audit entries (with the caller's, from `also`), one per table of notices.
    """
    if not starts:
        return Started([])
    model = type(starts[0].case)
    if any(type(s.case) is not model or s.case.pk is not None for s in starts):
        raise TypeError("start_many takes new cases of one type")
    now = now or timezone.now()
    cal = current_calendar()
    with transaction.atomic(savepoint=False):
        workflow_id = definitions.latest_id(workflow_name(starts[0].case))
        specs = [
            _begin(s.case, workflow_id=workflow_id, assignee=s.assignee, now=now, cal=cal,
                   due_at=planning.deadline_at(cal, now, s.deadline)
                   if s.deadline is not None else None)
            for s in starts
        ]
        cases = [s.case for s in starts]
        model._default_manager.bulk_create(cases)
        steps = [new_step(s.case, action="start", from_state="", actor=s.actor, now=now,
                          cal=cal, assignee_before=None, comment=s.comment) for s in starts]
        Transition.objects.bulk_create(steps)
        tell_steps(list(zip(cases, steps, strict=True)))
        entries = [audit.entry(actor=s.actor, action=WorkflowAudit.START, obj=s.case,
                               changes=audit.diff({}, snapshot(s.case)), unit_id=s.case.unit_id)
                   for s in starts]
        extra_entries, extra_notices = also(cases) if also is not None else ((), ())
        AuditEntry.objects.bulk_create([*entries, *extra_entries])
        events = [Event(s.case, spec, "start", s.actor, None, s.comment)
                  for s, spec in zip(starts, specs, strict=True)]
        known = [u for s in starts for u in (s.actor, s.assignee) if isinstance(u, User)]
        notifications.notify_many([*notices_for(events, _leaders_of_all(cases), known),
                                   *extra_notices])
    return Started(steps)


def _leaders_of_all(cases: Sequence[WorkflowCase]) -> LeadersOf:
    """Leaders per unit of `cases`, all read in one query the first time one is asked for."""
    found: dict[int, list[int]] = {}
    read = False

    def leaders_of(unit_id: int) -> list[int]:
        nonlocal read
        if not read:
            found.update(leaders_by_unit({c.unit_id for c in cases}))
            read = True
        return found.get(unit_id, [])

    return leaders_of


@dataclass(frozen=True)
class Inputs:
    """What the caller gives with an action, the same for every case it is taken on."""

    comment: str
    assignee: User | None
    reason: str
    attachments: Sequence[str]
    due_at: dt.datetime | None = None


def _validate_inputs(case: WorkflowCase, action: Action, inputs: Inputs) -> None:
    needs = set(action.requires)
    if "comment" in needs and not inputs.comment.strip():
        raise WorkflowError(Common.COMMENT_REQUIRED)
    if "attachment" in needs and not inputs.attachments:
        raise WorkflowError(WorkflowCode.ATTACHMENT_REQUIRED)
    if "assignee" in needs and inputs.assignee is None:
        raise WorkflowError(WorkflowCode.ASSIGNEE_REQUIRED)
    if "reason" in needs and inputs.reason not in action.reasons:
        raise WorkflowError(Common.REASON_REQUIRED)
    if action.self_assign and inputs.assignee is not None:
        raise WorkflowError(WorkflowCode.ASSIGNEE_NOT_ALLOWED)
    if inputs.assignee is not None and not scope_of(inputs.assignee).covers(case.unit):
        raise WorkflowError(WorkflowCode.ASSIGNEE_OUT_OF_SCOPE)


class Stale(Exception):
    """The case in hand cannot be trusted for this decision: read its row again, locked."""


def _guard(case: WorkflowCase) -> dict[str, Any]:
    # Every change of state, deadlines, clock or closing adds a step; reminders move
    # only the sweep stage; domain code may change the assignee or the unit. A row
    # that still has these values is the row the checks were made against.
    return {
        "steps": case.steps, "sweep_stage": case.sweep_stage, "state": case.state,
        "assignee_id": case.assignee_id, "unit_id": case.unit_id,
        "workflow_id": case.workflow_id,
    }


def check(case: WorkflowCase, action: str, actor: audit.Actor, inputs: Inputs) -> Spec:
    """The workflow spec of `case`, once `actor` may take `action` on it with `inputs`."""
    spec = case_spec(case)
    if action not in spec.actions:
        raise WorkflowError(WorkflowCode.UNKNOWN_ACTION)
    if not may_take(actor, case, spec, action):
        code = Common.INVALID_STATE if case.state not in spec.actions[action].sources \
            else Common.NOT_ALLOWED
        raise WorkflowError(code)
    _validate_inputs(case, spec.actions[action], inputs)
    return spec


def unchanged(case: WorkflowCase, spec: Spec, action: str, inputs: Inputs) -> bool:
    """Whether `action` with `inputs` would leave `case` as it is, so that nothing is recorded.

    That is an action that stays in the case's state and brings the assignee and the
    deadline the case already has (assigning a case to its assignee again). An action that
    stays in its state and brings neither is a note: its step is the change.
    """
    if spec.actions[action].to != case.state:
        return False
    if inputs.assignee is None and inputs.due_at is None:
        return False
    return (inputs.assignee is None or inputs.assignee.pk == case.assignee_id) and (
        inputs.due_at is None or inputs.due_at == case.due_at)


def advance(
    case: WorkflowCase, spec: Spec, action: str, *, actor: audit.Actor, inputs: Inputs,
    idempotency_key: str, now: dt.datetime, cal: WorkCalendar,
) -> tuple[Transition, AuditEntry, Event]:
    """Move the checked `case` on by `action` in memory; its step, audit entry and event.

    Nothing is written: the caller writes the case, the step and the entry, and the
    notices of the event, one case at a time (`perform`) or many at once (`perform_many`).
    """
    before = snapshot(case)
    planning.move(case, spec, cal, spec.actions[action].to, now=now, due_at=inputs.due_at)
    if spec.actions[action].self_assign and isinstance(actor, User):
        # `may_take` lets only a person take it.
        case.assignee = actor
    elif inputs.assignee is not None:
        case.assignee = inputs.assignee
    case.steps += 1
    step = new_step(
        case, action=action, from_state=before["state"], actor=actor, now=now, cal=cal,
        assignee_before=before["assignee"], comment=inputs.comment, reason=inputs.reason,
        attachments=inputs.attachments, idempotency_key=idempotency_key,
    )
    entry = audit.entry(actor=actor, action=audit.DefinedAction(f"workflow.{action}"), obj=case,
                        changes=audit.diff(before, snapshot(case)), unit_id=case.unit_id)
    return step, entry, Event(case, spec, action, actor, before["assignee"], inputs.comment)


def act(
    case: WorkflowCase, action: str, *, actor: audit.Actor, inputs: Inputs, idempotency_key: str,
    now: dt.datetime, cal: WorkCalendar, guarded: bool,
) -> Transition | None:
    """Check and take `action` on `case`; with `guarded`, only if the row still matches.

    None when the action would change nothing (`unchanged`): nothing is written.
    """
    spec = check(case, action, actor, inputs)
    if unchanged(case, spec, action, inputs):
        if guarded:
            # Decided on the row, not on an object that may be stale: a concurrent
            # identical action waits for the first one and then finds nothing to do.
            raise Stale
        return None
    condition = _guard(case) if guarded else {}
    step, entry, event = advance(case, spec, action, actor=actor, inputs=inputs,
                                 idempotency_key=idempotency_key, now=now, cal=cal)
    values = written_values(case)
    # One UPDATE both writes the case and, when guarded, checks that nobody changed it
    # since it was read (the row lock it takes makes a concurrent actor wait, then miss).
    if type(case)._default_manager.filter(pk=case.pk, **condition).update(**values) != 1:
        raise Stale
    step.save()
    tell_steps([(case, step)])
    entry.save()
    notify([event], leaders_lookup(), known=[actor, inputs.assignee])
    return step


def perform(
    case: WorkflowCase, action: str, *, actor: audit.Actor, comment: str = "",
    assignee: User | None = None, reason: str = "", attachments: Sequence[str] = (),
    deadline: Deadline | None = None, idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> Transition | None:
    """Take `action` on `case` in one transaction; the step, or None if nothing changed.

    `deadline` (a moment, or a span from now) gives the case a new deadline with the
    action (a transfer that restarts the count); the step and the audit entry record it.
    An action that would change nothing (`unchanged`: assigning a case to its assignee
    in the same state) records no step, no audit entry and no notice, and returns None;
    it is decided on the locked row, so of concurrent identical actions one changes the
    case and the others return None. A repeated idempotency key returns the step it made.

    The case in hand is trusted only if its row still holds the same step, stage,
    state, assignee and unit when it is written (a conditional UPDATE); otherwise,
    or when the checks fail on it, the row is read again under a lock and the
    checks are made on that.
    """
    now = now or timezone.now()
    cal = current_calendar()
    due_at = planning.deadline_at(cal, now, deadline) if deadline is not None else None
    inputs = Inputs(comment, assignee, reason, attachments, due_at)
    with transaction.atomic():
        if idempotency_key:
            done = Transition.objects.for_case(case).filter(idempotency_key=idempotency_key).first()
            if done is not None:
                copy_fields(lock(case), case)
                return done
        work = None
        if case.pk is not None and case.workflow_id is not None:
            # The action is tried on a copy, so that the object in hand changes only once
            # the action is written (a refusal or a rollback leaves it as it was).
            work = copy.copy(case)
            try:
                step = act(work, action, actor=actor, inputs=inputs,
                           idempotency_key=idempotency_key, now=now, cal=cal, guarded=True)
            except (Stale, WorkflowError):
                pass  # nothing was written: decide again on the locked row
            else:
                copy_fields(work, case)
                return step
        locked = lock(case)
        if work is not None:
            reuse_unit(work, locked)
        if idempotency_key:
            done = Transition.objects.for_case(locked).filter(
                idempotency_key=idempotency_key).first()
            if done is not None:
                copy_fields(locked, case)
                return done
        step = act(locked, action, actor=actor, inputs=inputs, idempotency_key=idempotency_key,
                   now=now, cal=cal, guarded=False)
    copy_fields(locked, case)
    return step


def perform_many(
    cases: Sequence[WorkflowCase], action: str, *, actor: audit.Actor, comment: str = "",
    assignee: User | None = None, reason: str = "", attachments: Sequence[str] = (),
    deadline: Deadline | None = None, idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> list[Transition | None]:
    """Take the same `action` on many cases of one type in one transaction: all or none.

    The checks are those of `perform`, made on every case's row read again under a
    lock (in primary key order, so two batches never wait on each other in a cycle);
    the first refusal raises `BatchError` naming its case, and nothing is written.
    Then each table is written once for the whole batch: one statement for the
    cases, one for the steps, one for the audit entries, one per table of notices.
    A repeated `idempotency_key` returns the steps it made before and acts on no
    case twice. The steps come back in the order of `cases`, None for a case the
    action would not change (`unchanged`: one already with that assignee), which is
    skipped.
    """
    if not cases:
        return []
    model = type(cases[0])
    if any(type(c) is not model or c.pk is None for c in cases):
        raise TypeError("perform_many takes saved cases of one type")
    if len({c.pk for c in cases}) != len(cases):
        raise WorkflowError(WorkflowCode.DUPLICATE_CASE)
    now = now or timezone.now()
    cal = current_calendar()
    due_at = planning.deadline_at(cal, now, deadline) if deadline is not None else None
    inputs = Inputs(comment, assignee, reason, attachments, due_at)
    with transaction.atomic():
        locked = {c.pk: c for c in model._default_manager.select_for_update().filter(
            pk__in=sorted(c.pk for c in cases)).order_by("pk")}
        done: dict[int, Transition] = {}
        if idempotency_key:
            done = {t.case_id: t for t in Transition.objects.filter(
                case_type=model._meta.label_lower, case_id__in=list(locked),
                idempotency_key=idempotency_key)}
        units = {u.pk: u for u in Unit.objects.filter(
            pk__in={c.unit_id for c in locked.values()})}
        steps, entries, events = [], [], []
        for given in cases:
            case = locked.get(given.pk)
            if case is None:
                gone = WorkflowError(Common.NOT_FOUND)
                raise BatchError(given, gone)
            if case.pk in done:
                continue
            case.unit = units[case.unit_id]
            try:
                spec = check(case, action, actor, inputs)
            except WorkflowError as exc:
                raise BatchError(given, exc) from None
            if unchanged(case, spec, action, inputs):
                continue
            step, entry, event = advance(case, spec, action, actor=actor, inputs=inputs,
                                         idempotency_key=idempotency_key, now=now, cal=cal)
            steps.append(step)
            entries.append(entry)
            events.append(event)
        acted = [e.case for e in events]
        bulk_set(model, acted, WRITTEN)
        Transition.objects.bulk_create(steps)
        tell_steps([(e.case, s) for e, s in zip(events, steps, strict=True)])
        AuditEntry.objects.bulk_create(entries)
        notify(events, leaders_lookup(), known=[actor, assignee])
    made = {s.case_id: s for s in steps}
    for given in cases:
        copy_fields(locked[given.pk], given)
    return [done.get(c.pk) or made.get(c.pk) for c in cases]


def set_case_deadline(
    case: WorkflowCase, due_at: Deadline, *, actor: audit.Actor, reason: str,
    now: dt.datetime | None = None,
) -> Transition | None:
    """Give a running case a new deadline, recorded as a `set_deadline` step with its reason.

    `due_at` is a moment or a span from now. The engine does not decide who may move a
    deadline: the calling service does. The reminders and escalation are planned again
    from the new deadline; the audit entry and the step keep the old and new values. The
    deadline the case already has changes nothing: no step, no entry, no notice (None).
    """
    if not (reason or "").strip():
        raise WorkflowError(Common.COMMENT_REQUIRED, _("Say why the deadline changes."))
    if case.workflow_id is None:
        raise WorkflowError(WorkflowCode.NOT_STARTED)
    now = now or timezone.now()
    cal = current_calendar()
    target = planning.deadline_at(cal, now, due_at)
    with transaction.atomic():
        locked = lock(case)
        if locked.closed_at is not None:
            raise WorkflowError(Common.INVALID_STATE, _("The case is closed."))
        if locked.due_at == target:
            copy_fields(locked, case)
            return None
        spec = case_spec(locked)
        before = snapshot(locked)
        planning.move(locked, spec, cal, locked.state, now=now, due_at=target)
        locked.steps += 1
        type(locked)._default_manager.filter(pk=locked.pk).update(**written_values(locked))
        step = new_step(locked, action="set_deadline", from_state=locked.state, actor=actor,
                        now=now, cal=cal, assignee_before=locked.assignee_id, comment=reason)
        step.save()
        tell_steps([(locked, step)])
        audit.entry(actor=actor, action=WorkflowAudit.SET_DEADLINE, obj=locked,
                    changes=audit.diff(before, snapshot(locked)),
                    unit_id=locked.unit_id).save()
        notify([Event(locked, spec, "set_deadline", actor, locked.assignee_id, reason)],
               leaders_lookup(), known=[actor])
    copy_fields(locked, case)
    return step


def history(case: WorkflowCase) -> models.QuerySet[Transition]:
    """Every step of the case, oldest first."""
    return Transition.objects.for_case(case).order_by("seq").select_related("actor", "assignee")


def definition_of(case: WorkflowCase) -> WorkflowDefinition | None:
    """The definition version the case runs on."""
    return case.workflow
