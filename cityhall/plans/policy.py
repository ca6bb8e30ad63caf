"""Who may do what with plans and tasks: in one place."""

from __future__ import annotations

from typing import Any

from cityhall.accounts.models import Membership, Role
from cityhall.core.scoping import scope_of
from cityhall.orgunits.models import Unit

#: Roles that may report progress for their unit's tasks.
REPORTING_ROLES = {Role.LEADER, Role.OFFICER, Role.ADMIN}


def may_steer(user: Any, unit: Unit) -> bool:
    """Whether the user leads `unit` (or a unit above it): plans, dates and extensions."""
    return scope_of(user).managed().covers(unit)


def may_report(user: Any, task: Any) -> bool:
    """Whether the user may report progress on the task or ask to extend it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if task.person_in_charge_id == user.pk or may_steer(user, task.owner_unit):
        return True
    if scope_of(user).managed().covers(task.lead_unit):
        return True
    return Membership.objects.active_on().filter(
        user=user, unit_id=task.lead_unit_id, role__in=REPORTING_ROLES).exists()


def steered_units(user: Any) -> list[Unit]:
    """The units the user leads or administers (the roots of their managed scope)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [m.unit for m in Membership.objects.active_on().filter(
        user=user, role__in=[Role.LEADER, Role.ADMIN]).select_related("unit").order_by("pk")]


def told_of(unit_ids: list[int]) -> dict[int, list[Any]]:
    """Who hears of a task given to a unit without a person: its leaders and officers."""
    found: dict[int, dict[int, Any]] = {}
    rows = (Membership.objects.active_on()
            .filter(unit_id__in=sorted(set(unit_ids)), role__in=[Role.LEADER, Role.OFFICER],
                    user__is_active=True)
            .select_related("user").order_by("unit_id", "user_id"))
    for member in rows:
        found.setdefault(member.unit_id, {})[member.user_id] = member.user
    return {unit: list(users.values()) for unit, users in found.items()}


def deciders_of(unit_id: int) -> list[Any]:
    """Who decides the extensions of a unit's tasks and hears of requests: its leaders."""
    rows = (Membership.objects.active_on()
            .filter(unit_id=unit_id, role=Role.LEADER, user__is_active=True)
            .select_related("user").order_by("user_id"))
    return list({m.user_id: m.user for m in rows}.values())
