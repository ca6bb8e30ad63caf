"""Writing the audit trail: every service function calls `record` inside its transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from django.db import models
from django.utils import timezone

from cityhall.core import context
from cityhall.core.models import AuditEntry, PersonalDataRead

if TYPE_CHECKING:
    from cityhall.accounts.models import ApiKey, User
    from cityhall.orgunits.models import Unit


@dataclass(frozen=True)
class SystemActor:
    """The platform itself acting: a command, the worker, a data load."""

    label: str = "system"


SYSTEM = SystemActor()

# Who acts: a signed-in user, a partner system's API key, or the platform.
Actor = Union["User", "ApiKey", SystemActor]


def _actor_fields(actor: Any) -> dict[str, Any]:
    from cityhall.accounts.models import ApiKey, User

    if isinstance(actor, User):
        return {"actor_user": actor, "actor_label": actor.get_username()}
    if isinstance(actor, ApiKey):
        return {"actor_api_key": actor, "actor_label": f"api-key:{actor.name}"}
    if isinstance(actor, SystemActor):
        return {"actor_label": actor.label}
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
    action: str,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    unit: Unit | None = None,
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
    if unit is not None:
        built.unit = unit
    else:
        built.unit_id = unit_id
    if obj is not None:
        built.object_type = obj._meta.label_lower
        built.object_id = str(obj.pk)
        built.object_repr = str(obj)[:255]
    return built


def record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    unit: Unit | None = None,
) -> AuditEntry:
    """Write one audit entry; call it inside the transaction that made the change."""
    saved = entry(actor=actor, action=action, obj=obj, changes=changes, unit=unit)
    saved.save()
    return saved


def log_personal_data_read(
    *,
    reader: User,
    obj: models.Model,
    fields: Iterable[str],
    subject: User | None = None,
    purpose: str = "",
    reader_unit: Unit | None = None,
    reader_role: str = "",
) -> PersonalDataRead:
    """Record that `reader` was shown personal `fields` of `obj` (and of `subject`).

    Pass the unit and role the reader acted in; when omitted, the reader's first
    membership in force is recorded, so the data subject still sees a capacity.
    """
    if reader_unit is None and not reader_role:
        from cityhall.accounts.models import Membership

        held = Membership.objects.active_on().filter(user=reader).order_by("pk").first()
        if held is not None:
            reader_unit, reader_role = held.unit, held.role
    ctx = context.current()
    return PersonalDataRead.objects.create(
        reader=reader,
        reader_unit=reader_unit,
        reader_role=reader_role,
        subject=subject,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        fields=sorted(set(fields)),
        purpose=purpose[:200],
        request_id=ctx.request_id,
        ip=ctx.ip,
    )
