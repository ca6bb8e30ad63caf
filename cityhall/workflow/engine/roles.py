"""Who may act on a case: the actor's roles for its unit, links on the case, the assignee."""

from __future__ import annotations

from typing import Any

from cityhall.accounts.models import Membership, Role, User
from cityhall.accounts.scope import per_user
from cityhall.core.audit import Actor, SystemActor
from cityhall.workflow import definitions
from cityhall.workflow.models import WorkflowCase
from cityhall.workflow.spec import SYSTEM_ROLE, Spec

# Roles that also count in every unit below the member's own.
SUBTREE_ROLES = {Role.LEADER.value, Role.ADMIN.value}


def memberships_of(user: User) -> list[tuple[str, int, str]]:
    """The user's memberships in force as (role, unit id, unit path), kept on the object.

    Kept as long as the user's scope (`accounts.scope.per_user`): a request's lifetime, and
    never longer than `USER_CACHE_SECONDS` for a long-lived object.
    """
    return per_user(user, "workflow_roles", lambda: list(
        # No ordering: the model's default sorts through a join on users, and planning
        # that join cost more than running the query on every action.
        Membership.objects.active_on().filter(user=user).order_by()
        .values_list("role", "unit_id", "unit__path")
    ))


def roles_of(actor: Actor, case: WorkflowCase) -> set[str]:
    """The roles `actor` holds for `case`: unit roles, leadership above it, or a case link."""
    if isinstance(actor, SystemActor):
        return {SYSTEM_ROLE}
    if not isinstance(actor, User) or not actor.is_active:
        return set()
    roles: set[str] = set()
    path = case.unit.path
    for role, unit_id, unit_path in memberships_of(actor):
        if unit_id == case.unit_id or (role in SUBTREE_ROLES and path.startswith(unit_path)):
            roles.add(role)
    if actor.is_superuser:
        roles.add(Role.ADMIN.value)
    return roles


def may_take(actor: Actor, case: WorkflowCase, spec: Spec, name: str) -> bool:
    """Whether `actor` may take the action `name` on `case` in its present state."""
    action = spec.actions[name]
    if case.state not in action.sources:
        return False
    allowed = set(action.roles)
    if not allowed & roles_of(actor, case):
        # A role may also name a user link on the case ("applicant"): that user may act.
        linked = [r for r in allowed if getattr(case, f"{r}_id", None) is not None]
        if not any(getattr(case, f"{r}_id") == getattr(actor, "pk", None) for r in linked):
            return False
    if action.self_assign:
        # Only a person takes a case, and only one nobody has.
        return isinstance(actor, User) and case.assignee_id is None
    if action.only_assignee and not isinstance(actor, SystemActor):
        return case.assignee_id is not None and case.assignee_id == actor.pk
    return True


def available_actions(case: WorkflowCase, user: Any) -> list[str]:
    """The actions `user` may take on `case` now, in definition order."""
    if case.workflow_id is None or case.closed_at is not None:
        return []
    spec = definitions.spec_of(case.workflow_id)
    return [name for name in spec.actions if may_take(user, case, spec, name)]
