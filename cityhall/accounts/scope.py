"""Who may see what: the one place where unit scope is decided.

A user's scope is a set of unit subtrees (leaders and administrators see their
unit and everything below it) plus single units (officers, clerks and
neighbourhood heads see the work of their own unit). City leadership, a leader
or administrator of the province unit, sees everything, including records that
belong to no unit. Anything else sees nothing: a forgotten check fails closed.

`scope_of` is registered with `core.scoping` when the app is ready, so every
`ScopedQuerySet.visible_to(user)` in the house asks it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from cityhall.accounts.models import Membership, Role
from cityhall.core.scoping import NOTHING, Scope
from cityhall.orgunits.models import Unit, UnitKind

_V = TypeVar("_V")

# Where what was read of a user's memberships is kept on the user object (one read per
# request): {name: (when, value)}.
_CACHE_ATTR = "_cityhall_memberships"
#: How long a user object keeps what it read of its memberships. A request is far shorter;
#: a long-lived object (held by a worker or a shell) reads them again after this.
USER_CACHE_SECONDS = 60.0


def per_user(user: Any, name: str, compute: Callable[[], _V]) -> _V:
    """`compute()` for this user object, kept on it for `USER_CACHE_SECONDS`.

    For values derived from the user's memberships (scope, workflow roles);
    `forget_scope` drops them all when the memberships change.
    """
    store: dict[str, tuple[float, Any]] = user.__dict__.setdefault(_CACHE_ATTR, {})
    now = time.monotonic()
    found = store.get(name)
    if found is not None and now - found[0] < USER_CACHE_SECONDS:
        return found[1]
    value = compute()
    store[name] = (now, value)
    return value


def _is_city(unit: Any) -> bool:
    # Only the open-ended province unit makes its leaders city leadership; a root that
    # is something else (an ended pre-2025 unit loaded without parent) must not.
    return unit.parent_id is None and unit.kind == UnitKind.PROVINCE and unit.valid_to is None


def scope_of(user: Any) -> Scope:
    """Compute a user's scope from their memberships in force today."""

    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Scope(everything=True)
    return per_user(user, "scope", lambda: _compute_scope(user))


def _compute_scope(user: Any) -> Scope:
    subtree_roles = {Role.LEADER, Role.ADMIN}
    paths: set[str] = set()
    ids: set[int] = set()
    everything = False
    # No ordering: the model's default sorts through a join on users this never needs.
    for m in Membership.objects.active_on().filter(user=user).order_by().select_related("unit"):
        if m.role in subtree_roles:
            if _is_city(m.unit):
                everything = True
            paths.add(m.unit.path)
        else:
            ids.add(m.unit_id)
    return (
        Scope(everything=True)
        if everything
        else Scope(subtree_paths=tuple(sorted(paths)), unit_ids=frozenset(ids))
    )


def capacity_of(user: Any) -> tuple[Unit | None, str]:
    """The unit and role of the user's first membership in force; (None, "") without one."""
    held = Membership.objects.active_on().filter(user=user).order_by("pk").select_related("unit")
    first = held.first()
    return (first.unit, first.role) if first is not None else (None, "")


def forget_scope(user: Any) -> None:
    """Drop what the user object keeps of its memberships (scope, roles) after they changed."""
    if user is not None:
        user.__dict__.pop(_CACHE_ATTR, None)
