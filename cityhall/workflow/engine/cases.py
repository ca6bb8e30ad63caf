"""The engine's fields on a case object: reading, locking, copying, and the history row."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from django.db.models.fields.related import RelatedField

from cityhall.accounts.models import User
from cityhall.core import facts
from cityhall.core.audit import Actor, SystemActor
from cityhall.core.fields import concrete_field
from cityhall.workflow.engine.errors import WorkflowCode, WorkflowError
from cityhall.workflow.engine.planning import remaining
from cityhall.workflow.models import Transition, WorkflowCase
from cityhall.workflow.workcalendar import WorkCalendar

#: The fields the engine keeps on every case (`WorkflowCase`).
CASE_FIELDS = (
    "workflow", "state", "assignee", "started_at", "state_entered_at", "due_at", "state_due_at",
    "clock_paused_at", "clock_remaining_seconds", "closed_at", "sweep_stage", "next_sweep_at",
    "escalation_level", "steps", "unit",
)
# The fields an action writes back; the definition version and the unit never change there.
WRITTEN = tuple(f for f in CASE_FIELDS if f not in {"workflow", "unit"})

# Whether a relation is already loaded on an object, without loading it, has no documented
# API; the field's own cache methods (`is_cached`, `get_cached_value`, ...: Django's
# FieldCacheMixin, not underscore-private) are the way Django itself asks, so the engine
# uses them rather than the object's `_state.fields_cache`.


def snapshot(case: WorkflowCase) -> dict[str, Any]:
    """The values an audit entry compares before and after a step."""
    return {
        "state": case.state, "assignee": case.assignee_id, "due_at": case.due_at,
        "state_due_at": case.state_due_at, "clock_paused_at": case.clock_paused_at,
        "escalation_level": case.escalation_level,
    }


def reuse_unit(source: WorkflowCase, target: WorkflowCase) -> None:
    """Give `target` the unit object `source` already holds, when it is the same unit."""
    field = source._meta.get_field("unit")
    if field.is_cached(source) and source.unit_id == target.unit_id:
        field.set_cached_value(target, field.get_cached_value(source))


def lock(case: WorkflowCase) -> WorkflowCase:
    """The case's row read again `FOR UPDATE` (inside the caller's transaction)."""
    locked = type(case)._default_manager.select_for_update().get(pk=case.pk)
    reuse_unit(case, locked)
    return locked


def copy_fields(source: WorkflowCase, target: WorkflowCase) -> None:
    """Give `target` the engine's field values (and loaded relations) of `source`."""
    if source is target:
        return
    for name in CASE_FIELDS:
        field = concrete_field(source, name)
        setattr(target, field.attname, getattr(source, field.attname))
        if isinstance(field, RelatedField):
            if field.is_cached(source):
                field.set_cached_value(target, field.get_cached_value(source))
            elif field.is_cached(target):
                field.delete_cached_value(target)


@functools.cache
def written_attnames(model: type[WorkflowCase]) -> tuple[str, ...]:
    """The column attribute names of the fields an action writes back (`assignee_id`, ...)."""
    return tuple(concrete_field(model, name).attname for name in WRITTEN)


def written_values(case: WorkflowCase) -> dict[str, Any]:
    """The values an action writes back, by column attribute name."""
    return {name: getattr(case, name) for name in written_attnames(type(case))}


def actor_user(actor: Actor) -> User | None:
    """The account behind `actor`, if it is one."""
    return actor if isinstance(actor, User) else None


def actor_label(actor: Actor) -> str:
    """How the history and the notices name `actor`."""
    if isinstance(actor, SystemActor):
        return actor.label
    return actor.get_username() if isinstance(actor, User) else str(actor)


def new_step(
    case: WorkflowCase, *, action: str, from_state: str, actor: Actor, now: dt.datetime,
    cal: WorkCalendar, assignee_before: int | None, comment: str = "", reason: str = "",
    attachments: Sequence[str] = (), idempotency_key: str = "",
) -> Transition:
    """The history row for the step that just brought `case` to `case.steps` (not saved)."""
    if case.workflow_id is None:
        raise WorkflowError(WorkflowCode.NOT_STARTED)
    return Transition(
        case_type=case._meta.label_lower, case_id=case.pk, workflow_id=case.workflow_id,
        seq=case.steps, action=action, from_state=from_state, to_state=case.state,
        actor=actor_user(actor), actor_label=actor_label(actor), at=now, comment=comment,
        reason=reason, attachments=list(attachments), assignee_before_id=assignee_before,
        assignee_id=case.assignee_id, due_at=case.due_at, unit_id=case.unit_id,
        remaining_seconds=remaining(cal, case, now), idempotency_key=idempotency_key,
    )


def tell_steps(pairs: Sequence[tuple[WorkflowCase, Transition]]) -> None:
    """Tell the roll-ups (`core.facts`) the steps just written, with their cases, at once."""
    facts.tell([
        facts.Fact(case_type=step.case_type, case=case, kind=step.action, at=step.at,
                   unit_id=step.unit_id, due_at=step.due_at)
        for case, step in pairs
    ])
