"""Writing the audit trail: every service function calls `record` inside its transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NewType, Protocol

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone

from cityhall.core import context
from cityhall.core.models import AuditEntry, PersonalDataRead


@dataclass(frozen=True)
class SystemActor:
    """The platform itself acting: a command, the worker, a data load."""

    label: str = "system"


SYSTEM = SystemActor()


class KeyActor(Protocol):
    """A partner system acting through its API key (`accounts.ApiKey`)."""

    @property
    def pk(self) -> Any: ...

    @property
    def name(self) -> str: ...

    def has_scope(self, scope: str) -> bool: ...


# Who acts: a signed-in user, a partner system's API key, or the platform.
Actor = AbstractBaseUser | KeyActor | SystemActor


class AuditAction(StrEnum):
    """The base of every app's audit actions (`app.verb`), each defined once as a member of
    its app's enum; docs/security.md lists them all (`tests/test_audit_actions.py`)."""


#: An action named by data rather than code: a workflow definition's transition
#: (`workflow.<action>`), which the engine records under the definition's own name.
DefinedAction = NewType("DefinedAction", str)


def _is_key(actor: Any) -> bool:
    # The audit's own foreign key says which model is a partner's key: core imports no app.
    key_model = AuditEntry._meta.get_field("actor_api_key").related_model
    return isinstance(key_model, type) and isinstance(actor, key_model)


def _actor_fields(actor: Any) -> dict[str, Any]:
    if isinstance(actor, SystemActor):
        return {"actor_label": actor.label}
    if isinstance(actor, AbstractBaseUser):
        return {"actor_user": actor, "actor_label": actor.get_username()}
    if _is_key(actor):
        return {"actor_api_key": actor, "actor_label": f"api-key:{actor.name}"}
    raise TypeError(f"not an actor: {actor!r}")


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        # One moment, one text: a value read back from the database comes in UTC, the
        # same value computed in Python in the city's zone.
        return str(timezone.localtime(value))
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for the fields whose value changed."""
    keys = sorted(set(before) | set(after))
    return {
        k: [_json_safe(before.get(k)), _json_safe(after.get(k))]
        for k in keys
        if before.get(k) != after.get(k)
    }


def entry(
    *,
    actor: Actor,
    action: AuditAction | DefinedAction,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    unit: models.Model | None = None,
    unit_id: int | None = None,
) -> AuditEntry:
    """Build one audit entry without saving it (for services that write many at once)."""
    ctx = context.current()
    built = AuditEntry(
        action=action,
        changes=_json_safe(dict(changes or {})),
        request_id=ctx.request_id,
        ip=ctx.ip,
        **_actor_fields(actor),
    )
    built.unit_id = unit.pk if unit is not None else unit_id
    if obj is not None:
        built.object_type = obj._meta.label_lower
        built.object_id = str(obj.pk)
        built.object_repr = str(obj)[:255]
    return built


def record(
    *,
    actor: Actor,
    action: AuditAction | DefinedAction,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    unit: models.Model | None = None,
) -> AuditEntry:
    """Write one audit entry; call it inside the transaction that made the change."""
    saved = entry(actor=actor, action=action, obj=obj, changes=changes, unit=unit)
    saved.save()
    return saved


#: Answers "in which unit and role does this person work?" for a read logged without
#: its capacity; registered by the app that holds memberships.
CapacityLookup = Callable[[Any], tuple[models.Model | None, str]]

_capacity_lookup: CapacityLookup | None = None


def register_capacity_lookup(lookup: CapacityLookup | None) -> CapacityLookup | None:
    """Make `lookup` the reader's capacity for reads logged without one; returns the old one."""
    global _capacity_lookup
    previous, _capacity_lookup = _capacity_lookup, lookup
    return previous


def log_personal_data_read(
    *,
    reader: AbstractBaseUser,
    obj: models.Model,
    fields: Iterable[str],
    subject: AbstractBaseUser | None = None,
    purpose: str = "",
    reader_unit: models.Model | None = None,
    reader_role: str = "",
) -> PersonalDataRead:
    """Record that `reader` was shown personal `fields` of `obj` (and of `subject`).

    Pass the unit and role the reader acted in; when omitted, the registered capacity
    lookup (the reader's first membership in force) gives them, so the data subject
    still sees a capacity.
    """
    if reader_unit is None and not reader_role and _capacity_lookup is not None:
        reader_unit, reader_role = _capacity_lookup(reader)
    ctx = context.current()
    return PersonalDataRead.objects.create(
        reader_id=reader.pk,
        reader_unit_id=reader_unit.pk if reader_unit is not None else None,
        reader_role=reader_role,
        subject_id=subject.pk if subject is not None else None,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        fields=sorted(set(fields)),
        purpose=purpose[:200],
        request_id=ctx.request_id,
        ip=ctx.ip,
    )
