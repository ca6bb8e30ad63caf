"""The deadline sweep: claim the cases whose next rule is due and fire it, a batch at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cityhall.core import audit
from cityhall.core.audit import SYSTEM
from cityhall.core.errors import Common
from cityhall.core.models import AuditEntry
from cityhall.core.queue import WorkQueue
from cityhall.orgunits.models import Unit
from cityhall.workflow.audit_actions import WorkflowAudit
from cityhall.workflow.calendar_data import current_calendar
from cityhall.workflow.engine.bulk import bulk_set
from cityhall.workflow.engine.cases import new_step, snapshot, tell_steps
from cityhall.workflow.engine.errors import WorkflowError
from cityhall.workflow.engine.notices import Event, leaders_by_unit, notify
from cityhall.workflow.engine.planning import AUTO_CLOSE, NOTHING, OVERDUE, REMIND, schedule
from cityhall.workflow.engine.registry import case_spec, case_types
from cityhall.workflow.engine.transitions import Inputs, act
from cityhall.workflow.models import Transition, WorkflowCase
from cityhall.workflow.workcalendar import WorkCalendar


@dataclass
class SweepResult:
    reminded: int = 0
    escalated: int = 0
    closed: int = 0

    @property
    def total(self) -> int:
        return self.reminded + self.escalated + self.closed


# The fields a sweep writes back (reminders and escalations; auto-close acts like `perform`).
SWEEP_WRITES = ("assignee", "escalation_level", "steps", "sweep_stage", "next_sweep_at")


def _fire_batch(
    claimed: list[WorkflowCase], cal: WorkCalendar, now: dt.datetime, result: SweepResult
) -> None:
    """Fire the due rule of every claimed (locked) case, writing each table once for the batch."""
    model = type(claimed[0])
    parents = dict(
        Unit.objects.filter(pk__in=sorted({c.unit_id for c in claimed}))
        .values_list("pk", "parent_id")
    )
    leaders = leaders_by_unit([*parents, *(p for p in parents.values() if p is not None)])

    def leaders_of(unit_id: int) -> list[int]:
        return leaders.get(unit_id, [])

    changed: list[WorkflowCase] = []
    steps: list[Transition] = []
    entries: list[AuditEntry] = []
    events: list[Event] = []
    closing: list[WorkflowCase] = []
    escalated: list[WorkflowCase] = []
    for case in claimed:
        spec = case_spec(case)
        stage = case.sweep_stage
        if stage == REMIND:
            events.append(Event(case, spec, "remind", SYSTEM, None))
            result.reminded += 1
        elif stage == OVERDUE:
            before = snapshot(case)
            parent = parents.get(case.unit_id)
            if spec.escalation.on_overdue == "escalate_to_parent_unit" and parent is not None:
                targets = leaders_of(parent)
            else:
                targets = leaders_of(case.unit_id)
            if targets:
                case.assignee_id = targets[0]
            case.escalation_level += 1
            case.steps += 1
            escalated.append(case)
            steps.append(new_step(case, action="escalate", from_state=case.state,
                                  actor=SYSTEM, now=now, cal=cal,
                                  assignee_before=before["assignee"]))
            entries.append(audit.entry(actor=SYSTEM, action=WorkflowAudit.ESCALATE, obj=case,
                                       changes=audit.diff(before, snapshot(case)),
                                       unit_id=case.unit_id))
            events.append(Event(case, spec, "escalate", SYSTEM, before["assignee"]))
            result.escalated += 1
        elif stage == AUTO_CLOSE:
            closing.append(case)
            continue
        case.sweep_stage, case.next_sweep_at = schedule(case, spec, cal, stage + 1)
        changed.append(case)
    bulk_set(model, changed, SWEEP_WRITES)
    Transition.objects.bulk_create(steps)
    tell_steps([(c, s) for c, s in zip(escalated, steps, strict=True)])
    AuditEntry.objects.bulk_create(entries)
    notify(events, leaders_of)
    for case in closing:
        auto = case_spec(case).escalation.auto_close
        case.sweep_stage, case.next_sweep_at = NOTHING, None
        try:
            if auto is None:  # not planned without one; a hand-edited row may say otherwise
                raise WorkflowError(Common.INVALID_STATE)
            act(case, auto.action, actor=SYSTEM, inputs=Inputs("", None, "", ()),
                idempotency_key="", now=now, cal=cal, guarded=False)
        except WorkflowError:
            # The case sits in a state the auto-close action does not leave: stop trying.
            model._default_manager.filter(pk=case.pk).update(
                sweep_stage=NOTHING, next_sweep_at=None)
            continue
        result.closed += 1


def schedule_of(model: type[WorkflowCase]) -> WorkQueue[WorkflowCase]:
    """The cases of `model` as a schedule: each falls due at its `next_sweep_at`."""
    return WorkQueue(model, pending=Q(next_sweep_at__isnull=False), due_field="next_sweep_at")


def sweep(*, now: dt.datetime | None = None, batch: int = 1000,
          rounds: int | None = None) -> SweepResult:
    """Fire the deadline rules that are due; safe to run in several workers at once.

    Each round claims up to `batch` due cases of each case type (`WorkQueue.lock`: `FOR
    UPDATE SKIP LOCKED`, so a case another worker holds is left to it) and fires them
    together in that transaction; a firing moves the case's stage strictly forward, so a
    case is never fired twice for the same rule. It stops when nothing is due, or after
    `rounds` rounds (the worker runs one at a time, so that a stop signal waits for one
    batch, not for the whole backlog).
    """
    now = now or timezone.now()
    cal = current_calendar()
    result = SweepResult()
    for model, _name in case_types():
        queue = schedule_of(model)
        done = 0
        while rounds is None or done < rounds:
            with transaction.atomic():
                claimed = queue.lock(now=now, limit=batch)
                if claimed:
                    _fire_batch(claimed, cal, now, result)
            done += 1
            # A case whose next rule is already due too comes back in a later round.
            if not claimed:
                break
    return result
