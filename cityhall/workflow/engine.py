"""The workflow engine: start a case, list and perform actions, keep history, sweep deadlines.

The engine knows no domain. An app registers its case model (a `WorkflowCase`)
with the name of its workflow definition; everything else comes from the
definition: states, actions, who may take them, deadlines, escalation and who
is told what.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models.fields.related import RelatedField
from django.utils import timezone

from cityhall.accounts.models import Membership, Role, User
from cityhall.accounts.scope import per_user, scope_of
from cityhall.core import audit
from cityhall.core.audit import SYSTEM, SystemActor
from cityhall.core.fields import column_of, concrete_field
from cityhall.core.models import AuditEntry
from cityhall.notifications import services as notices
from cityhall.orgunits.models import Unit
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
# The fields `perform` writes back; the definition version and the unit never change there.
_WRITTEN = [f for f in _CASE_FIELDS if f not in {"workflow", "unit"}]
# Sweep stages, in the order they fire for one deadline.
REMIND, OVERDUE, AUTO_CLOSE, NOTHING = 0, 1, 2, 3
#: A deadline given to the engine: a moment (aware datetime), or a span from now such as
#: `{"working_days": 15}` or `{"working_hours": 8}`.
Deadline = dt.datetime | Mapping[str, float]


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
    return per_user(user, "workflow_roles", lambda: list(
        # No ordering: the model's default sorts through a join on users, and planning
        # that join cost more than running the query on every action.
        Membership.objects.active_on().filter(user=user).order_by()
        .values_list("role", "unit_id", "unit__path")
    ))


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


def case_spec(case: WorkflowCase) -> dict[str, Any]:
    """The parsed definition `case` runs on; WorkflowError `not_started` before `start`."""
    if case.workflow_id is None:
        raise WorkflowError("not_started", "the case has not started")
    return definitions.spec_of(case.workflow_id)


def available_actions(case: WorkflowCase, user: Any) -> list[str]:
    """The actions `user` may take on `case` now, in definition order."""
    if case.workflow_id is None or case.closed_at is not None:
        return []
    spec = definitions.spec_of(case.workflow_id)
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


def _auto_close_at(case: WorkflowCase, spec: dict[str, Any], cal: WorkCalendar
                   ) -> dt.datetime | None:
    """When the definition's auto-close would fire for the case as it stands, if at all."""
    auto = (spec.get("escalation") or {}).get("auto_close")
    if not auto:
        return None
    days = int(auto["after_working_days"])
    if auto.get("counted_from", "deadline") == "state_entry":
        # Counted from entry into a state the action leaves (a resolved report waiting
        # for its rating); it runs even while the clock is stopped there.
        leaves = spec["actions"][auto["action"]].get("from", [])
        if case.state not in leaves or case.state_entered_at is None:
            return None
        return cal.add_working_days(case.state_entered_at, days)
    if case.due_at is None or case.clock_paused_at is not None:
        return None
    return cal.add_working_days(case.due_at, days)


def _schedule(
    case: WorkflowCase, spec: dict[str, Any], cal: WorkCalendar, first: int,
    after: dt.datetime | None = None,
) -> tuple[int, dt.datetime | None]:
    """The next deadline rule from stage `first` on, and when it fires.

    Of the rules not yet passed (stage `first` or later, and later than `after`
    when given), the earliest fires next; on a tie, the earlier stage.
    """
    if case.closed_at is not None:
        return NOTHING, None
    plan: list[tuple[int, dt.datetime]] = []
    if case.clock_paused_at is None:
        esc = spec.get("escalation") or {}
        deadlines = [d for d in (case.state_due_at, case.due_at) if d is not None]
        effective = min(deadlines) if deadlines else None
        if effective is not None and esc.get("remind_before"):
            ahead = _span_time(cal, esc["remind_before"])
            plan.append((REMIND, cal.subtract_working_time(effective, ahead)))
        if effective is not None and esc.get("on_overdue", "none") != "none":
            plan.append((OVERDUE, effective))
    auto_at = _auto_close_at(case, spec, cal)
    if auto_at is not None:
        plan.append((AUTO_CLOSE, auto_at))
    due = [(at, stage) for stage, at in plan
           if stage >= first and (after is None or at > after)]
    if not due:
        return NOTHING, None
    at, stage = min(due)
    return stage, at


def next_rule(
    case: Any, spec: dict[str, Any], cal: WorkCalendar, first: int = REMIND,
) -> tuple[int, dt.datetime | None]:
    """The sweep bookmark (stage, moment) the engine would plan for `case` from stage `first`.

    For tools that write cases in bulk without running the workflow (an import, the
    benchmarks' generator) and must leave the bookmark the sweep expects. `case` needs
    `closed_at`, `clock_paused_at`, `due_at`, `state_due_at`, `state` and
    `state_entered_at`.
    """
    return _schedule(case, spec, cal, first)


def _deadline_at(cal: WorkCalendar, now: dt.datetime, deadline: Deadline) -> dt.datetime:
    """The moment a deadline given as a moment or as a span from `now` falls on."""
    if isinstance(deadline, dt.datetime):
        if timezone.is_naive(deadline):
            raise WorkflowError("invalid_deadline", "give the deadline with its time zone")
        return deadline
    span = dict(deadline)
    try:
        definitions.check_span("deadline", span)
    except definitions.DefinitionError as exc:
        raise WorkflowError("invalid_deadline", str(exc)) from None
    end = _span_end(cal, now, span)
    if end is None:
        raise WorkflowError("invalid_deadline", "give a deadline")
    return end


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


def _transition(
    case: WorkflowCase, *, action: str, from_state: str, actor: Any, now: dt.datetime,
    cal: WorkCalendar, assignee_before: int | None, comment: str = "", reason: str = "",
    attachments: Sequence[str] = (), idempotency_key: str = "",
) -> Transition:
    """The history row for the step that just brought `case` to `case.steps` (not saved)."""
    if case.workflow_id is None:
        raise WorkflowError("not_started", "the case has not started")
    return Transition(
        case_type=case._meta.label_lower, case_id=case.pk, workflow_id=case.workflow_id,
        seq=case.steps, action=action, from_state=from_state, to_state=case.state,
        actor=_actor_user(actor), actor_label=_actor_label(actor), at=now, comment=comment,
        reason=reason, attachments=list(attachments), assignee_before_id=assignee_before,
        assignee_id=case.assignee_id, due_at=case.due_at,
        remaining_seconds=_remaining(cal, case, now), idempotency_key=idempotency_key,
    )


# -- notices ------------------------------------------------------------------

LeadersOf = Callable[[int], list[int]]


@dataclass
class _Event:
    """An event on a case whose notices are still to be written."""

    case: WorkflowCase
    spec: dict[str, Any]
    name: str
    actor: Any
    previous_assignee: int | None
    comment: str = ""


def _audience(event: _Event, names: Iterable[str], leaders_of: LeadersOf) -> list[int]:
    case = event.case
    ids: set[int] = set()
    for name in names:
        if name == "assignee" and case.assignee_id:
            ids.add(case.assignee_id)
        elif name == "previous_assignee" and event.previous_assignee:
            ids.add(event.previous_assignee)
        elif name == "actor" and isinstance(event.actor, User):
            ids.add(event.actor.pk)
        elif name == "unit_leaders":
            ids.update(leaders_of(case.unit_id))
        elif name not in definitions.ENGINE_AUDIENCES:
            linked = getattr(case, f"{name}_id", None)
            if linked:
                ids.add(linked)
    return sorted(ids)


def contacts_of(case: WorkflowCase) -> list[notices.ContactAddress]:
    """The people without an account to tell about `case`, from its type's hook.

    A case type lists them with a method `notification_contacts()` returning
    `notifications.services.ContactAddress` values (e-mail, phone, language); a type
    without the method has none.
    """
    hook = getattr(case, "notification_contacts", None)
    return list(hook()) if callable(hook) else []


def _notify(events: Sequence[_Event], leaders_of: LeadersOf, known: Iterable[Any] = ()) -> None:
    """Write the notices the definitions ask for on `events`, with one read of the people."""
    planned: list[tuple[_Event, dict[str, Any], list[int]]] = []
    contacts: dict[int, list[notices.ContactAddress]] = {}
    for event in events:
        for rule in event.spec.get("notifications", []):
            if rule["event"] in (event.name, "*"):
                wanted = _audience(event, rule["audience"], leaders_of)
                if "contacts" in rule["audience"] and id(event) not in contacts:
                    contacts[id(event)] = contacts_of(event.case)
                if wanted or ("contacts" in rule["audience"] and contacts[id(event)]):
                    planned.append((event, rule, wanted))
    if not planned:
        return
    needed = {pk for _, _, wanted in planned for pk in wanted}
    # The actor and the new assignee are usually in hand already: no need to read them again.
    people = {u.pk: u for u in known if isinstance(u, User) and u.pk in needed}
    missing = needed - people.keys()
    if missing:
        people.update((u.pk, u) for u in User.objects.filter(pk__in=sorted(missing)))
    batch = []
    for event, rule, wanted in planned:
        recipients = [people[pk] for pk in wanted if pk in people and people[pk].is_active]
        reached = contacts.get(id(event), []) if "contacts" in rule["audience"] else []
        if not recipients and not reached:
            continue
        case = event.case
        batch.append(notices.Notice(
            recipients=recipients, contacts=reached, channels=rule["channels"],
            template=rule["template"],
            context={
                "case": str(case), "case_id": case.pk, "case_type": case._meta.label_lower,
                "event": event.name, "state": case.state, "actor": _actor_label(event.actor),
                "due_at": case.due_at, "comment": event.comment,
            },
            subject_ref=f"{case._meta.label_lower}:{case.pk}",
        ))
    notices.notify_many(batch)


def _leaders_by_unit(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """The leaders in force of each unit, by username, in one query."""
    found: dict[int, list[int]] = {}
    rows = (
        Membership.objects.active_on().filter(unit_id__in=sorted(set(unit_ids)), role=Role.LEADER)
        .order_by("unit_id", "user__username").values_list("unit_id", "user_id")
    )
    for unit_id, user_id in rows:
        found.setdefault(unit_id, []).append(user_id)
    return found


def _leaders_lookup() -> LeadersOf:
    """Leaders per unit, each unit read once during one call of the engine."""
    seen: dict[int, list[int]] = {}

    def leaders_of(unit_id: int) -> list[int]:
        if unit_id not in seen:
            seen[unit_id] = _leaders_by_unit([unit_id]).get(unit_id, [])
        return seen[unit_id]

    return leaders_of


# -- starting and acting --------------------------------------------------------

def _reuse_unit(source: WorkflowCase, target: WorkflowCase) -> None:
    """Give `target` the unit object `source` already holds, when it is the same unit."""
    field = source._meta.get_field("unit")
    if field.is_cached(source) and source.unit_id == target.unit_id:
        field.set_cached_value(target, field.get_cached_value(source))


def _lock(case: WorkflowCase) -> WorkflowCase:
    locked = type(case)._default_manager.select_for_update().get(pk=case.pk)
    _reuse_unit(case, locked)
    return locked


def _copy_back(source: WorkflowCase, target: WorkflowCase) -> None:
    if source is target:
        return
    for name in _CASE_FIELDS:
        field = concrete_field(source, name)
        setattr(target, field.attname, getattr(source, field.attname))
        if isinstance(field, RelatedField):
            if field.is_cached(source):
                field.set_cached_value(target, field.get_cached_value(source))
            elif field.is_cached(target):
                field.delete_cached_value(target)


def start(
    case: WorkflowCase, *, actor: Any, assignee: User | None = None, comment: str = "",
    deadline: Deadline | None = None, now: dt.datetime | None = None,
) -> Transition:
    """Put a new case on its workflow's latest version, in the start state, with deadlines.

    `deadline` (a moment, or a span from now such as `{"working_days": 15}`) replaces the
    definition's case deadline, e.g. a category's own; the start step records it.
    """
    label = case._meta.label_lower
    if label not in _registry:
        raise WorkflowError("unknown_case_type", f"{label} is not a registered case type")
    if case.workflow_id is not None:
        raise WorkflowError("already_started", "the case has already started")
    now = now or timezone.now()
    cal = current_calendar()
    due_at = _deadline_at(cal, now, deadline) if deadline is not None else None
    with transaction.atomic():
        case.workflow_id = definitions.latest_id(_registry[label][1])
        spec = definitions.spec_of(case.workflow_id)
        first = next(s for s in spec["state_order"] if (spec["states"][s] or {}).get("start"))
        case.state = first
        case.assignee = assignee
        case.started_at = case.state_entered_at = now
        case.due_at = due_at or _span_end(cal, now, spec.get("deadline"))
        case.state_due_at = _span_end(cal, now, (spec["states"][first] or {}).get("deadline"))
        case.sweep_stage, case.next_sweep_at = _schedule(case, spec, cal, REMIND)
        case.steps = 1
        case.save()
        step = _transition(case, action="start", from_state="", actor=actor, now=now, cal=cal,
                           assignee_before=None, comment=comment)
        step.save()
        audit.record(actor=actor, action="workflow.start", obj=case,
                     changes=audit.diff({}, _snapshot(case)), unit=case.unit)
        _notify([_Event(case, spec, "start", actor, None, comment)], _leaders_lookup(),
                known=[actor, assignee])
    return step


@dataclass(frozen=True)
class _Inputs:
    comment: str
    assignee: User | None
    reason: str
    attachments: Sequence[str]
    due_at: dt.datetime | None = None


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


class _Stale(Exception):
    """The case in hand no longer matches its row: read it again, under a lock."""


def _guard(case: WorkflowCase) -> dict[str, Any]:
    # Every change of state, deadlines, clock or closing adds a step; reminders move
    # only the sweep stage; domain code may change the assignee or the unit. A row
    # that still has these values is the row the checks were made against.
    return {
        "steps": case.steps, "sweep_stage": case.sweep_stage, "state": case.state,
        "assignee_id": case.assignee_id, "unit_id": case.unit_id,
        "workflow_id": case.workflow_id,
    }


def _check(case: WorkflowCase, action: str, actor: Any, inputs: _Inputs) -> dict[str, Any]:
    """The workflow spec of `case`, once `actor` may take `action` on it with `inputs`."""
    spec = case_spec(case)
    if action not in spec["actions"]:
        raise WorkflowError("unknown_action", f"no action {action!r} in this workflow")
    if not _may_take(actor, case, spec, action):
        code = "invalid_state" if case.state not in spec["actions"][action].get("from", []) \
            else "not_allowed"
        raise WorkflowError(code, f"{action!r} cannot be taken now by this actor")
    _validate_inputs(case, spec["actions"][action], inputs)
    return spec


def _advance(
    case: WorkflowCase, spec: dict[str, Any], action: str, *, actor: Any, inputs: _Inputs,
    idempotency_key: str, now: dt.datetime, cal: WorkCalendar,
) -> tuple[Transition, AuditEntry, _Event]:
    """Move the checked `case` on by `action` in memory; its step, audit entry and event.

    Nothing is written: the caller writes the case, the step and the entry, and the
    notices of the event, one case at a time (`perform`) or many at once (`perform_many`).
    """
    before = _snapshot(case)
    _apply(case, spec, cal, spec["actions"][action]["to"], now=now, assignee=inputs.assignee,
           due_at=inputs.due_at)
    case.steps += 1
    step = _transition(
        case, action=action, from_state=before["state"], actor=actor, now=now, cal=cal,
        assignee_before=before["assignee"], comment=inputs.comment, reason=inputs.reason,
        attachments=inputs.attachments, idempotency_key=idempotency_key,
    )
    entry = audit.entry(actor=actor, action=f"workflow.{action}", obj=case,
                        changes=audit.diff(before, _snapshot(case)), unit_id=case.unit_id)
    return step, entry, _Event(case, spec, action, actor, before["assignee"], inputs.comment)


def _act(
    case: WorkflowCase, action: str, *, actor: Any, inputs: _Inputs, idempotency_key: str,
    now: dt.datetime, cal: WorkCalendar, guarded: bool,
) -> Transition:
    """Check and take `action` on `case`; with `guarded`, only if the row still matches."""
    spec = _check(case, action, actor, inputs)
    condition = _guard(case) if guarded else {}
    step, entry, event = _advance(case, spec, action, actor=actor, inputs=inputs,
                                  idempotency_key=idempotency_key, now=now, cal=cal)
    values = _written_values(case)
    # One UPDATE both writes the case and, when guarded, checks that nobody changed it
    # since it was read (the row lock it takes makes a concurrent actor wait, then miss).
    if type(case)._default_manager.filter(pk=case.pk, **condition).update(**values) != 1:
        raise _Stale
    step.save()
    entry.save()
    _notify([event], _leaders_lookup(), known=[actor, inputs.assignee])
    return step


@functools.cache
def _written_attnames(model: type[WorkflowCase]) -> tuple[str, ...]:
    """The column attribute names of the fields `perform` writes back (`assignee_id`, ...)."""
    return tuple(concrete_field(model, name).attname for name in _WRITTEN)


def _written_values(case: WorkflowCase) -> dict[str, Any]:
    return {name: getattr(case, name) for name in _written_attnames(type(case))}


def _state_of(case: WorkflowCase) -> tuple[dict[str, Any], dict[str, Any]]:
    return dict(case.__dict__), dict(case._state.fields_cache)


def _restore(case: WorkflowCase, saved: tuple[dict[str, Any], dict[str, Any]]) -> None:
    values, cache = saved
    for name in _CASE_FIELDS:
        attname = concrete_field(case, name).attname
        setattr(case, attname, values[attname])
    case._state.fields_cache = cache


def perform(
    case: WorkflowCase, action: str, *, actor: Any, comment: str = "",
    assignee: User | None = None, reason: str = "", attachments: Sequence[str] = (),
    deadline: Deadline | None = None, idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> Transition:
    """Take `action` on `case` in one transaction; a repeated idempotency key acts once.

    `deadline` (a moment, or a span from now) gives the case a new deadline with the
    action (a transfer that restarts the count); the step and the audit entry record it.

    The case in hand is trusted only if its row still holds the same step, stage,
    state, assignee and unit when it is written (a conditional UPDATE); otherwise,
    or when the checks fail on it, the row is read again under a lock and the
    checks are made on that.
    """
    now = now or timezone.now()
    cal = current_calendar()
    due_at = _deadline_at(cal, now, deadline) if deadline is not None else None
    inputs = _Inputs(comment, assignee, reason, attachments, due_at)
    with transaction.atomic():
        if idempotency_key:
            done = Transition.objects.for_case(case).filter(idempotency_key=idempotency_key).first()
            if done is not None:
                _copy_back(_lock(case), case)
                return done
        if case.pk is not None and case.workflow_id is not None:
            saved = _state_of(case)
            try:
                return _act(case, action, actor=actor, inputs=inputs,
                            idempotency_key=idempotency_key, now=now, cal=cal, guarded=True)
            except (_Stale, WorkflowError):
                _restore(case, saved)  # nothing was written: decide again on the locked row
            except BaseException:
                _restore(case, saved)  # the transaction rolls back: so does the object
                raise
        locked = _lock(case)
        if idempotency_key:
            done = Transition.objects.for_case(locked).filter(
                idempotency_key=idempotency_key).first()
            if done is not None:
                _copy_back(locked, case)
                return done
        step = _act(locked, action, actor=actor, inputs=inputs, idempotency_key=idempotency_key,
                    now=now, cal=cal, guarded=False)
    _copy_back(locked, case)
    return step


class BatchError(WorkflowError):
    """An action refused on one case of a batch; `case` says which (nothing was written)."""

    def __init__(self, case: WorkflowCase, error: WorkflowError) -> None:
        super().__init__(error.code, error.detail)
        self.case = case


def perform_many(
    cases: Sequence[WorkflowCase], action: str, *, actor: Any, comment: str = "",
    assignee: User | None = None, reason: str = "", attachments: Sequence[str] = (),
    deadline: Deadline | None = None, idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> list[Transition]:
    """Take the same `action` on many cases of one type in one transaction: all or none.

    The checks are those of `perform`, made on every case's row read again under a
    lock (in primary key order, so two batches never wait on each other in a cycle);
    the first refusal raises `BatchError` naming its case, and nothing is written.
    Then each table is written once for the whole batch: one statement for the
    cases, one for the steps, one for the audit entries, one per table of notices.
    A repeated `idempotency_key` returns the steps it made before and acts on no
    case twice. The steps come back in the order of `cases`.
    """
    if not cases:
        return []
    model = type(cases[0])
    if any(type(c) is not model or c.pk is None for c in cases):
        raise TypeError("perform_many takes saved cases of one type")
    if len({c.pk for c in cases}) != len(cases):
        raise WorkflowError("duplicate_case", "a case is listed twice")
    now = now or timezone.now()
    cal = current_calendar()
    due_at = _deadline_at(cal, now, deadline) if deadline is not None else None
    inputs = _Inputs(comment, assignee, reason, attachments, due_at)
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
                raise BatchError(given, WorkflowError("not_found", "the case no longer exists"))
            if case.pk in done:
                continue
            case.unit = units[case.unit_id]
            try:
                spec = _check(case, action, actor, inputs)
            except WorkflowError as exc:
                raise BatchError(given, exc) from None
            step, entry, event = _advance(case, spec, action, actor=actor, inputs=inputs,
                                          idempotency_key=idempotency_key, now=now, cal=cal)
            steps.append(step)
            entries.append(entry)
            events.append(event)
        acted = [e.case for e in events]
        _bulk_set(model, acted, _WRITTEN)
        Transition.objects.bulk_create(steps)
        AuditEntry.objects.bulk_create(entries)
        _notify(events, _leaders_lookup(), known=[actor, assignee])
    made = {s.case_id: s for s in steps}
    for given in cases:
        _copy_back(locked[given.pk], given)
    return [done.get(c.pk) or made[c.pk] for c in cases]


def _apply(
    case: WorkflowCase, spec: dict[str, Any], cal: WorkCalendar, target: str, *,
    now: dt.datetime, assignee: User | None, due_at: dt.datetime | None = None,
) -> None:
    """Move `case` to `target`: clock, state deadline, assignee, closing, next sweep.

    `due_at`, when given, becomes the case deadline (the caller records it in the step).
    """
    states = spec["states"]
    source = case.state
    was_stopped = bool((states[source] or {}).get("stops_clock"))
    stops = bool((states[target] or {}).get("stops_clock"))
    old_effective = min([d for d in (case.state_due_at, case.due_at) if d], default=None)
    # The deadline rules are planned again from the first one, skipping those whose moment
    # passed before `held_since`, when they were held back: while the clock was stopped
    # (none is planned then), or while a state-entry auto-close was planned ahead of them.
    held_since: dt.datetime | None = None
    auto = (spec.get("escalation") or {}).get("auto_close") or {}
    if target != source and case.sweep_stage == AUTO_CLOSE \
            and auto.get("counted_from") == "state_entry" \
            and source in spec["actions"][auto["action"]].get("from", []):
        held_since = now
    if stops and not was_stopped and case.clock_paused_at is None:
        case.clock_remaining_seconds = _remaining(cal, case, now)
        case.clock_paused_at = now
    elif was_stopped and not stops and case.clock_paused_at is not None:
        held_since = min(filter(None, [held_since, case.clock_paused_at]))
        left = case.clock_remaining_seconds
        if case.due_at is not None and left is not None and left > 0:
            restarted = cal.add_working_time(now, dt.timedelta(seconds=left))
            case.due_at = max(case.due_at, restarted)
        case.clock_paused_at = None
        case.clock_remaining_seconds = None
    if due_at is not None:
        case.due_at = due_at
        if case.clock_paused_at is not None:
            # The clock is stopped: keep the working time to the new deadline for the restart.
            case.clock_remaining_seconds = int(
                cal.working_time_between(now, due_at).total_seconds())
    if target != source:
        case.state = target
        case.state_entered_at = now
        case.state_due_at = _span_end(cal, now, (states[target] or {}).get("deadline"))
    if assignee is not None:
        case.assignee = assignee
    if (states[target] or {}).get("terminal"):
        case.closed_at = now
    new_effective = min([d for d in (case.state_due_at, case.due_at) if d], default=None)
    if held_since is not None and new_effective == old_effective:
        case.sweep_stage, case.next_sweep_at = _schedule(case, spec, cal, REMIND, held_since)
        return
    # A new deadline starts the rules afresh; the same deadline keeps its progress.
    first = case.sweep_stage if new_effective == old_effective else REMIND
    case.sweep_stage, case.next_sweep_at = _schedule(case, spec, cal, first)


def set_case_deadline(
    case: WorkflowCase, due_at: Deadline, *, actor: Any, reason: str,
    now: dt.datetime | None = None,
) -> Transition:
    """Give a running case a new deadline, recorded as a `set_deadline` step with its reason.

    `due_at` is a moment or a span from now. The engine does not decide who may move a
    deadline: the calling service does. The reminders and escalation are planned again
    from the new deadline; the audit entry and the step keep the old and new values.
    """
    if not (reason or "").strip():
        raise WorkflowError("comment_required", "say why the deadline changes")
    if case.workflow_id is None:
        raise WorkflowError("not_started", "the case has not started")
    now = now or timezone.now()
    cal = current_calendar()
    target = _deadline_at(cal, now, due_at)
    with transaction.atomic():
        locked = _lock(case)
        if locked.closed_at is not None:
            raise WorkflowError("invalid_state", "the case is closed")
        spec = case_spec(locked)
        before = _snapshot(locked)
        _apply(locked, spec, cal, locked.state, now=now, assignee=None, due_at=target)
        locked.steps += 1
        type(locked)._default_manager.filter(pk=locked.pk).update(**_written_values(locked))
        step = _transition(locked, action="set_deadline", from_state=locked.state, actor=actor,
                           now=now, cal=cal, assignee_before=locked.assignee_id,
                           comment=reason)
        step.save()
        audit.entry(actor=actor, action="workflow.set_deadline", obj=locked,
                    changes=audit.diff(before, _snapshot(locked)),
                    unit_id=locked.unit_id).save()
        _notify([_Event(locked, spec, "set_deadline", actor, locked.assignee_id, reason)],
                _leaders_lookup(), known=[actor])
    _copy_back(locked, case)
    return step


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


_SWEEP_WRITES = ["assignee", "escalation_level", "steps", "sweep_stage", "next_sweep_at"]


def _bulk_set(model: type[WorkflowCase], rows: list[WorkflowCase], names: list[str]) -> None:
    """Write `names` of many rows in one statement.

    On PostgreSQL this is one `UPDATE ... FROM (VALUES ...)`; Django's
    `bulk_update` builds a CASE per field and row, which costs more time in
    Python than the database spends on the whole batch.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, names)
        return
    fields = [model._meta.pk, *(concrete_field(model, n) for n in names)]
    quote = connection.ops.quote_name
    casts = ", ".join(f"%s::{f.cast_db_type(connection)}" for f in fields)
    values = ", ".join(f"({casts})" for _ in rows)
    params = [
        f.get_db_prep_value(getattr(row, f.attname), connection) for row in rows for f in fields
    ]
    columns = ", ".join(quote(column_of(f)) for f in fields)
    assignments = ", ".join(
        f"{quote(column_of(f))} = v.{quote(column_of(f))}" for f in fields[1:]
    )
    pk = quote(column_of(fields[0]))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 (names are quoted identifiers from the model)
            f"FROM (VALUES {values}) AS v ({columns}) WHERE t.{pk} = v.{pk}",
            params,
        )


def _fire_batch(
    claimed: list[WorkflowCase], cal: WorkCalendar, now: dt.datetime, result: SweepResult
) -> None:
    """Fire the due rule of every claimed (locked) case, writing each table once for the batch."""
    model = type(claimed[0])
    parents = dict(
        Unit.objects.filter(pk__in=sorted({c.unit_id for c in claimed}))
        .values_list("pk", "parent_id")
    )
    leaders = _leaders_by_unit([*parents, *(p for p in parents.values() if p is not None)])

    def leaders_of(unit_id: int) -> list[int]:
        return leaders.get(unit_id, [])

    changed: list[WorkflowCase] = []
    steps: list[Transition] = []
    entries: list[AuditEntry] = []
    events: list[_Event] = []
    closing: list[WorkflowCase] = []
    for case in claimed:
        spec = case_spec(case)
        esc = spec.get("escalation") or {}
        stage = case.sweep_stage
        if stage == REMIND:
            events.append(_Event(case, spec, "remind", SYSTEM, None))
            result.reminded += 1
        elif stage == OVERDUE:
            before = _snapshot(case)
            parent = parents.get(case.unit_id)
            if esc.get("on_overdue") == "escalate_to_parent_unit" and parent is not None:
                targets = leaders_of(parent)
            else:
                targets = leaders_of(case.unit_id)
            if targets:
                case.assignee_id = targets[0]
            case.escalation_level += 1
            case.steps += 1
            steps.append(_transition(case, action="escalate", from_state=case.state,
                                     actor=SYSTEM, now=now, cal=cal,
                                     assignee_before=before["assignee"]))
            entries.append(audit.entry(actor=SYSTEM, action="workflow.escalate", obj=case,
                                       changes=audit.diff(before, _snapshot(case)),
                                       unit_id=case.unit_id))
            events.append(_Event(case, spec, "escalate", SYSTEM, before["assignee"]))
            result.escalated += 1
        elif stage == AUTO_CLOSE:
            closing.append(case)
            continue
        case.sweep_stage, case.next_sweep_at = _schedule(case, spec, cal, stage + 1)
        changed.append(case)
    _bulk_set(model, changed, _SWEEP_WRITES)
    Transition.objects.bulk_create(steps)
    AuditEntry.objects.bulk_create(entries)
    _notify(events, leaders_of)
    for case in closing:
        spec = case_spec(case)
        case.sweep_stage, case.next_sweep_at = NOTHING, None
        try:
            _act(case, spec["escalation"]["auto_close"]["action"], actor=SYSTEM,
                 inputs=_Inputs("", None, "", ()), idempotency_key="", now=now, cal=cal,
                 guarded=False)
        except WorkflowError:
            # The case sits in a state the auto-close action does not leave: stop trying.
            model._default_manager.filter(pk=case.pk).update(
                sweep_stage=NOTHING, next_sweep_at=None)
            continue
        result.closed += 1


def sweep(*, now: dt.datetime | None = None, batch: int = 1000) -> SweepResult:
    """Fire every deadline rule that is due; safe to run in several workers at once.

    Each round claims up to `batch` due cases with `FOR UPDATE SKIP LOCKED` (a
    case another worker holds is left to it) and fires them together in that
    transaction; a firing moves the case's stage strictly forward, so a case is
    never fired twice for the same rule.
    """
    now = now or timezone.now()
    cal = current_calendar()
    result = SweepResult()
    for model, _name in case_types():
        while True:
            with transaction.atomic():
                claimed = list(
                    model._default_manager.select_for_update(skip_locked=True)
                    .filter(next_sweep_at__lte=now)
                    .order_by("next_sweep_at", "pk")[:batch]
                )
                if claimed:
                    _fire_batch(claimed, cal, now, result)
            # A case whose next rule is already due too comes back in a later round.
            if not claimed:
                break
    return result
