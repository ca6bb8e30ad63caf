"""Who may see what: the one place where unit scope is decided.

A user's scope is a set of unit subtrees (leaders and administrators see their
unit and everything below it) plus single units (officers, clerks and
neighbourhood heads see the work of their own unit). City leadership, a leader
or administrator of the province unit, sees everything, including records that
belong to no unit. Anything else sees nothing: a forgotten check fails closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from cityhall.accounts.models import User

_M = TypeVar("_M", bound=models.Model)
_Q = TypeVar("_Q", bound=models.QuerySet[Any])
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


@dataclass(frozen=True)
class Scope:
    """The units a user may see: whole subtrees by path, and single units by id."""

    everything: bool = False
    subtree_paths: tuple[str, ...] = ()
    unit_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.subtree_paths or self.unit_ids)

    def managed(self) -> Scope:
        """The part of the scope held as leader or administrator (subtrees only)."""
        return Scope(everything=self.everything, subtree_paths=self.subtree_paths)

    def q(self, unit_field: str) -> Q:
        """A filter selecting rows whose `unit_field` lies in this scope."""
        if self.everything:
            return Q()
        condition = Q(pk__in=[])
        for path in self.subtree_paths:
            condition |= Q(**{f"{unit_field}__path__startswith": path})
        if self.unit_ids:
            condition |= Q(**{f"{unit_field}__in": sorted(self.unit_ids)})
        return condition

    def covers(self, unit: Any) -> bool:
        """Whether a unit lies in this scope."""
        if self.everything:
            return True
        if unit is None:
            return False
        return unit.pk in self.unit_ids or any(unit.path.startswith(p) for p in self.subtree_paths)


def _is_city(unit: Any) -> bool:
    # Only the open-ended province unit makes its leaders city leadership; a root that
    # is something else (an ended pre-2025 unit loaded without parent) must not.
    from cityhall.orgunits.models import UnitKind

    return unit.parent_id is None and unit.kind == UnitKind.PROVINCE and unit.valid_to is None


def scope_of(user: Any) -> Scope:
    """Compute a user's scope from their memberships in force today."""

    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    return per_user(user, "scope", lambda: _compute_scope(user))


def _compute_scope(user: Any) -> Scope:
    from cityhall.accounts.models import Membership, Role

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


def forget_scope(user: Any) -> None:
    """Drop what the user object keeps of its memberships (scope, roles) after they changed."""
    if user is not None:
        user.__dict__.pop(_CACHE_ATTR, None)


def restrict(queryset: _Q, user: Any, unit_field: str = "unit") -> _Q:
    """Rows of any queryset whose `unit_field` lies in the user's scope."""
    return queryset.filter(scope_of(user).q(unit_field))


class ScopedQuerySet(models.QuerySet[_M]):
    """Base queryset for work that belongs to a unit; `unit_field` names the link."""

    unit_field: str = "unit"

    def visible_to(self, user: User | AnonymousUser | None) -> Self:
        """Rows in the units the user may see; nothing for anyone else."""
        return restrict(self, user, self.unit_field)
