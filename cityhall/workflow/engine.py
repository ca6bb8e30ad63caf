"""The workflow engine: start a case, list and perform actions, keep history, sweep deadlines.

The engine knows no domain. An app registers its case model (a `WorkflowCase`)
with the name of its workflow definition; everything else comes from the
definition: states, actions, who may take them, deadlines, escalation and who
is told what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from cityhall.accounts.models import Membership, Role, User
from cityhall.accounts.scope import scope_of
from cityhall.core import audit
from cityhall.core.audit import SYSTEM, SystemActor
from cityhall.notifications import services as notices
from cityhall.workflow import definitions
from cityhall.workflow.calendar_data import current_calendar
from cityhall.workflow.models import Transition, WorkflowCase, WorkflowDefinition
from cityhall.workflow.workcalendar import WorkCalendar

_registry: dict[str, tuple[type[WorkflowCase], str]] = {}
_SUBTREE_ROLES = {Role.LEADER.value, Role.ADMIN.value}
_CASE_FIELDS = [
    "workflow", "state", "assignee", "started_at", "state_entered_at", "due_at", "state_due_at",
    "clock_paused_at", "clock_remaining_seconds", "closed_at", "sweep_stage", "next_sweep_at",
    "escalation_level", "steps", "unit",
]
# Sweep stages, in the order they fire for one deadline.
REMIND, OVERDUE, AUTO_CLOSE, NOTHING = 0, 1, 2, 3


class WorkflowError(Exception):
    """An action that cannot be taken; `code` is stable, `detail` is for people."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def register_case_type(model: type[WorkflowCase], definition_name: str) -> None:
    """Declare that cases of `model` follow the workflow named `definition_name`."""
    if not issubclass(model, WorkflowCase):
        raise TypeError(f"{model!r} does not inherit WorkflowCase")
    _registry[model._meta.label_lower] = (model, definition_name)


def case_types() -> list[tuple[type[WorkflowCase], str]]:
    """The registered case models and their workflow names."""
    return list(_registry.values())


# -- roles --------------------------------------------------------------------

def _memberships(user: User) -> list[tuple[str, int, str]]:
    cached = getattr(user, "_cityhall_workflow_roles", None)
    if cached is None:
        cached = [
            (m.role, m.unit_id, m.unit.path)
            for m in Membership.objects.active_on().filter(user=user).select_related("unit")
        ]
        user._cityhall_workflow_roles = cached  # type: ignore[attr-defined]
    return cached


def roles_of(actor: Any, case: WorkflowCase) -> set[str]:
    """The roles `actor` holds for `case`: unit roles, leadership above it, or a case link."""
    if isinstance(actor, SystemActor):
        return {definitions.SYSTEM_ROLE}
    if not isinstance(actor, User) or not actor.is_active:
        return set()
    roles: set[str] = set()
    path = case.unit.path
    for role, unit_id, unit_path in _memberships(actor):
        if unit_id == case.unit_id or (role in _SUBTREE_ROLES and path.startswith(unit_path)):
            roles.add(role)
    if actor.is_superuser:
        roles.add(Role.ADMIN.value)
    return roles


def _may_take(actor: Any, case: WorkflowCase, spec: dict[str, Any], name: str) -> bool:
    action = spec["actions"][name]
    if case.state not in action.get("from", []):
        return False
    allowed = set(action["roles"])
    if not allowed & roles_of(actor, case):
        # A role may also name a user link on the case ("applicant"): that user may act.
        linked = [r for r in allowed if getattr(case, f"{r}_id", None) is not None]
        if not any(getattr(case, f"{r}_id") == getattr(actor, "pk", None) for r in linked):
            return False
    if action.get("only_assignee") and not isinstance(actor, SystemActor):
        return case.assignee_id is not None and case.assignee_id == actor.pk
    return True


def available_actions(case: WorkflowCase, user: Any) -> list[str]:
    """The actions `user` may take on `case` now, in definition order."""
    if case.workflow_id is None or case.closed_at is not None:
        return []
    spec = case.workflow.spec
    return [name for name in spec["action_order"] if _may_take(user, case, spec, name)]


# -- deadlines ----------------------------------------------------------------

def _span_end(
    cal: WorkCalendar, start: dt.datetime, span: dict[str, Any] | None
) -> dt.datetime | None:
    if not span:
        return None
    ((unit, amount),) = span.items()
    if unit == "working_days":
        return cal.add_working_days(start, int(amount))
    return cal.add_working_hours(start, float(amount))


def _span_time(cal: WorkCalendar, span: dict[str, Any]) -> dt.timedelta:
    ((unit, amount),) = span.items()
    if unit == "working_days":
        return cal.day_length() * int(amount)
    return dt.timedelta(hours=float(amount))


def _schedule(
    case: WorkflowCase, spec: dict[str, Any], cal: WorkCalendar, first: int
) -> tuple[int, dt.datetime | None]:
    """The next deadline rule from stage `first` on, and when it fires."""
    if case.closed_at is not None or case.clock_paused_at is not None:
        return NOTHING, None
    esc = spec.get("escalation") or {}
    deadlines = [d for d in (case.state_due_at, case.due_at) if d is not None]
    effective = min(deadlines) if deadlines else None
    plan: list[tuple[int, dt.datetime]] = []
    if effective is not None and esc.get("remind_before"):
        ahead = _span_time(cal, esc["remind_before"])
        plan.append((REMIND, cal.subtract_working_time(effective, ahead)))
    if effective is not None and esc.get("on_overdue", "none") != "none":
        plan.append((OVERDUE, effective))
    auto = esc.get("auto_close")
    if auto and case.due_at is not None:
        days = int(auto["after_working_days"])
        plan.append((AUTO_CLOSE, cal.add_working_days(case.due_at, days)))
    for stage, at in plan:
        if stage >= first:
            return stage, at
    return NOTHING, None


def _remaining(cal: WorkCalendar, case: WorkflowCase, now: dt.datetime) -> int | None:
    if case.clock_paused_at is not None:
        return case.clock_remaining_seconds
    if case.due_at is None:
        return None
    return int(cal.working_time_between(now, case.due_at).total_seconds())


# -- writing ------------------------------------------------------------------

def _snapshot(case: WorkflowCase) -> dict[str, Any]:
    return {
        "state": case.state, "assignee": case.assignee_id, "due_at": case.due_at,
        "state_due_at": case.state_due_at, "clock_paused_at": case.clock_paused_at,
        "escalation_level": case.escalation_level,
    }


def _actor_user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def _actor_label(actor: Any) -> str:
    if isinstance(actor, SystemActor):
        return actor.label
    return actor.get_username() if isinstance(actor, User) else str(actor)


def _append(
    case: WorkflowCase, *, action: str, from_state: str, actor: Any, now: dt.datetime,
    cal: WorkCalendar, assignee_before: int | None, comment: str = "", reason: str = "",
    attachments: Sequence[str] = (), idempotency_key: str = "",
) -> Transition:
    case.steps += 1
    return Transition.objects.create(
        case_type=case._meta.label_lower, case_id=case.pk, workflow_id=case.workflow_id,
        seq=case.steps, action=action, from_state=from_state, to_state=case.state,
        actor=_actor_user(actor), actor_label=_actor_label(actor), at=now, comment=comment,
        reason=reason, attachments=list(attachments), assignee_before_id=assignee_before,
        assignee_id=case.assignee_id, due_at=case.due_at,
        remaining_seconds=_remaining(cal, case, now), idempotency_key=idempotency_key,
    )


def _audience(
    case: WorkflowCase, names: Iterable[str], *, actor: Any, previous_assignee: int | None
) -> list[User]:
    ids: set[int] = set()
    for name in names:
        if name == "assignee" and case.assignee_id:
            ids.add(case.assignee_id)
        elif name == "previous_assignee" and previous_assignee:
            ids.add(previous_assignee)
        elif name == "actor" and isinstance(actor, User):
            ids.add(actor.pk)
        elif name == "unit_leaders":
            ids.update(_leaders(case.unit_id))
        elif name not in {"assignee", "previous_assignee", "actor"}:
            linked = getattr(case, f"{name}_id", None)
            if linked:
                ids.add(linked)
    if not ids:
        return []
    return list(User.objects.filter(pk__in=sorted(ids), is_active=True))


def _leaders(unit_id: int) -> list[int]:
    return list(
        Membership.objects.active_on().filter(unit_id=unit_id, role=Role.LEADER)
        .order_by("user__username").values_list("user_id", flat=True)
    )


def _notify(
    case: WorkflowCase, spec: dict[str, Any], event: str, *, actor: Any,
    previous_assignee: int | None, now: dt.datetime,
) -> None:
    rules = [r for r in spec.get("notifications", []) if r["event"] in (event, "*")]
    for rule in rules:
        recipients = _audience(
            case, rule["audience"], actor=actor, previous_assignee=previous_assignee
        )
        if not recipients:
            continue
        notices.notify(
            recipients=recipients, channels=rule["channels"], template=rule["template"],
            context={
                "case": str(case), "case_id": case.pk, "case_type": case._meta.label_lower,
                "event": event, "state": case.state, "actor": _actor_label(actor),
                "due_at": case.due_at,
            },
            subject_ref=f"{case._meta.label_lower}:{case.pk}",
        )


def _lock(case: WorkflowCase) -> WorkflowCase:
    model = type(case)
    locked = model.objects.select_for_update(of=("self",)).select_related("workflow", "unit")
    return locked.get(pk=case.pk)


def _copy_back(source: WorkflowCase, target: WorkflowCase) -> None:
    if source is target:
        return
    for name in _CASE_FIELDS:
        field = source._meta.get_field(name)
        setattr(target, field.attname, getattr(source, field.attname))
        if field.is_relation and field.is_cached(source):
            field.set_cached_value(target, field.get_cached_value(source))


def start(
    case: WorkflowCase, *, actor: Any, assignee: User | None = None, comment: str = "",
    now: dt.datetime | None = None,
) -> Transition:
    """Put a new case on its workflow's latest version, in the start state, with deadlines."""
    label = case._meta.label_lower
    if label not in _registry:
        raise WorkflowError("unknown_case_type", f"{label} is not a registered case type")
    if case.workflow_id is not None:
        raise WorkflowError("already_started", "the case has already started")
    now = now or timezone.now()
    cal = current_calendar()
    with transaction.atomic():
        definition = definitions.latest(_registry[label][1])
        spec = definition.spec
        first = next(s for s in spec["state_order"] if (spec["states"][s] or {}).get("start"))
        case.workflow = definition
        case.state = first
        case.assignee = assignee
        case.started_at = case.state_entered_at = now
        case.due_at = _span_end(cal, now, spec.get("deadline"))
        case.state_due_at = _span_end(cal, now, (spec["states"][first] or {}).get("deadline"))
        case.sweep_stage, case.next_sweep_at = _schedule(case, spec, cal, REMIND)
        case.save()
        step = _append(case, action="start", from_state="", actor=actor, now=now, cal=cal,
                       assignee_before=None, comment=comment)
        type(case).objects.filter(pk=case.pk).update(steps=case.steps)
        audit.record(actor=actor, action="workflow.start", obj=case,
                     changes=audit.diff({}, _snapshot(case)), unit=case.unit)
        _notify(case, spec, "start", actor=actor, previous_assignee=None, now=now)
    return step


@dataclass(frozen=True)
class _Inputs:
    comment: str
    assignee: User | None
    reason: str
    attachments: Sequence[str]


def _validate_inputs(case: WorkflowCase, action: dict[str, Any], inputs: _Inputs) -> None:
    needs = set(action.get("requires", []))
    if "comment" in needs and not inputs.comment.strip():
        raise WorkflowError("comment_required", "this action needs a comment")
    if "attachment" in needs and not inputs.attachments:
        raise WorkflowError("attachment_required", "this action needs an attachment")
    if "assignee" in needs and inputs.assignee is None:
        raise WorkflowError("assignee_required", "this action needs an assignee")
    if "reason" in needs and inputs.reason not in action.get("reasons", []):
        raise WorkflowError("reason_required", "this action needs one of the listed reasons")
    if inputs.assignee is not None and not scope_of(inputs.assignee).covers(case.unit):
        raise WorkflowError("assignee_out_of_scope", "the assignee cannot work on this unit")


def perform(
    case: WorkflowCase, action: str, *, actor: Any, comment: str = "",
    assignee: User | None = None, reason: str = "", attachments: Sequence[str] = (),
    idempotency_key: str = "", now: dt.datetime | None = None,
) -> Transition:
    """Take `action` on `case` in one transaction; a repeated idempotency key acts once."""
    now = now or timezone.now()
    cal = current_calendar()
    with transaction.atomic():
        locked = _lock(case)
        if idempotency_key:
            done = (
                Transition.objects.for_case(locked).filter(idempotency_key=idempotency_key).first()
            )
            if done is not None:
                _copy_back(locked, case)
                return done
        if locked.workflow_id is None:
            raise WorkflowError("not_started", "the case has not started")
        spec = locked.workflow.spec
        if action not in spec["actions"]:
            raise WorkflowError("unknown_action", f"no action {action!r} in this workflow")
        if not _may_take(actor, locked, spec, action):
            code = "invalid_state" if locked.state not in spec["actions"][action].get("from", []) \
                else "not_allowed"
            raise WorkflowError(code, f"{action!r} cannot be taken now by this actor")
        definition = spec["actions"][action]
        _validate_inputs(locked, definition, _Inputs(comment, assignee, reason, attachments))
        before = _snapshot(locked)
        _apply(locked, spec, cal, definition["to"], now=now, assignee=assignee)
        step = _append(
            locked, action=action, from_state=before["state"], actor=actor, now=now, cal=cal,
            assignee_before=before["assignee"], comment=comment, reason=reason,
            attachments=attachments, idempotency_key=idempotency_key,
        )
        locked.save(update_fields=[f for f in _CASE_FIELDS if f not in {"workflow", "unit"}])
        audit.record(actor=actor, action=f"workflow.{action}", obj=locked,
                     changes=audit.diff(before, _snapshot(locked)), unit=locked.unit)
        _notify(locked, spec, action, actor=actor, previous_assignee=before["assignee"], now=now)
    _copy_back(locked, case)
    return step


def _apply(
    case: WorkflowCase, spec: dict[str, Any], cal: WorkCalendar, target: str, *,
    now: dt.datetime, assignee: User | None,
) -> None:
    """Move `case` to `target`: clock, state deadline, assignee, closing, next sweep."""
    states = spec["states"]
    source = case.state
    was_stopped = bool((states[source] or {}).get("stops_clock"))
    stops = bool((states[target] or {}).get("stops_clock"))
    old_effective = min([d for d in (case.state_due_at, case.due_at) if d], default=None)
    if stops and not was_stopped and case.clock_paused_at is None:
        case.clock_remaining_seconds = _remaining(cal, case, now)
        case.clock_paused_at = now
    elif was_stopped and not stops and case.clock_paused_at is not None:
        left = case.clock_remaining_seconds
        if case.due_at is not None and left is not None and left > 0:
            restarted = cal.add_working_time(now, dt.timedelta(seconds=left))
            case.due_at = max(case.due_at, restarted)
        case.clock_paused_at = None
        case.clock_remaining_seconds = None
    if target != source:
        case.state = target
        case.state_entered_at = now
        case.state_due_at = _span_end(cal, now, (states[target] or {}).get("deadline"))
    if assignee is not None:
        case.assignee = assignee
    if (states[target] or {}).get("terminal"):
        case.closed_at = now
    new_effective = min([d for d in (case.state_due_at, case.due_at) if d], default=None)
    # A new deadline starts the rules afresh; the same deadline keeps its progress.
    first = case.sweep_stage if new_effective == old_effective else REMIND
    case.sweep_stage, case.next_sweep_at = _schedule(case, spec, cal, first)


def history(case: WorkflowCase) -> models.QuerySet[Transition]:
    """Every step of the case, oldest first."""
    return Transition.objects.for_case(case).order_by("seq").select_related("actor", "assignee")


def definition_of(case: WorkflowCase) -> WorkflowDefinition | None:
    """The definition version the case runs on."""
    return case.workflow


# -- sweeps -------------------------------------------------------------------

@dataclass
class SweepResult:
    reminded: int = 0
    escalated: int = 0
    closed: int = 0

    @property
    def total(self) -> int:
        return self.reminded + self.escalated + self.closed


def _escalation_target(case: WorkflowCase, how: str) -> int | None:
    unit = case.unit
    if how == "escalate_to_parent_unit" and unit.parent_id is not None:
        leaders = _leaders(unit.parent_id)
    else:
        leaders = _leaders(unit.pk)
    return leaders[0] if leaders else None


def _fire(case: WorkflowCase, cal: WorkCalendar, now: dt.datetime, result: SweepResult) -> None:
    spec = case.workflow.spec
    esc = spec.get("escalation") or {}
    stage = case.sweep_stage
    if stage == REMIND:
        _notify(case, spec, "remind", actor=SYSTEM, previous_assignee=None, now=now)
        result.reminded += 1
    elif stage == OVERDUE:
        before = _snapshot(case)
        target = _escalation_target(case, esc.get("on_overdue", "none"))
        if target is not None:
            case.assignee_id = target
        case.escalation_level += 1
        _append(case, action="escalate", from_state=case.state, actor=SYSTEM, now=now, cal=cal,
                assignee_before=before["assignee"])
        audit.record(actor=SYSTEM, action="workflow.escalate", obj=case,
                     changes=audit.diff(before, _snapshot(case)), unit=case.unit)
        _notify(case, spec, "escalate", actor=SYSTEM, previous_assignee=before["assignee"], now=now)
        result.escalated += 1
    elif stage == AUTO_CLOSE:
        case.sweep_stage, case.next_sweep_at = NOTHING, None
        case.save(update_fields=["sweep_stage", "next_sweep_at"])
        try:
            perform(case, esc["auto_close"]["action"], actor=SYSTEM, now=now)
        except WorkflowError:
            return  # the case sits in a state the auto-close action does not leave
        result.closed += 1
        return
    case.sweep_stage, case.next_sweep_at = _schedule(case, spec, cal, stage + 1)
    case.save(
        update_fields=["assignee", "escalation_level", "steps", "sweep_stage", "next_sweep_at"]
    )


def sweep(*, now: dt.datetime | None = None, batch: int = 500) -> SweepResult:
    """Fire every deadline rule that is due; safe to run in several workers at once."""
    now = now or timezone.now()
    cal = current_calendar()
    result = SweepResult()
    for model, _name in case_types():
        while True:
            with transaction.atomic():
                claimed = list(
                    model.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("workflow", "unit")
                    .filter(next_sweep_at__lte=now)
                    .order_by("next_sweep_at", "pk")[:batch]
                )
                for case in claimed:
                    _fire(case, cal, now, result)
            # Each firing moves a case's stage strictly forward, so this ends; a case
            # whose next rule is already due too comes back in a later batch.
            if not claimed:
                break
    return result
