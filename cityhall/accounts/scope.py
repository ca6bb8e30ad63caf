"""Who may see what: the one place where unit scope is decided.

A user's scope is a set of unit subtrees (leaders and administrators see their
unit and everything below it) plus single units (officers, clerks and
neighbourhood heads see the work of their own unit). City leadership, a leader
or administrator of the province unit, sees everything. Anything else sees
nothing: a forgotten check fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

from cityhall.accounts.models import Membership, Role

if TYPE_CHECKING:
    from cityhall.accounts.models import User

_M = TypeVar("_M", bound=models.Model)

_SUBTREE_ROLES = {Role.LEADER, Role.ADMIN}


@dataclass(frozen=True)
class Scope:
    """The units a user may see: whole subtrees by path, and single units by id."""

    everything: bool = False
    subtree_paths: tuple[str, ...] = ()
    unit_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.subtree_paths or self.unit_ids)

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


def scope_of(user: User | None) -> Scope:
    """Compute a user's scope from their memberships in force today."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    cached = getattr(user, "_cityhall_scope", None)
    if cached is not None:
        return cached
    paths: list[str] = []
    ids: set[int] = set()
    for m in Membership.objects.active_on().filter(user=user).select_related("unit"):
        if m.role in _SUBTREE_ROLES:
            if m.unit.parent_id is None:
                scope = Scope(everything=True)
                user._cityhall_scope = scope  # type: ignore[attr-defined]
                return scope
            paths.append(m.unit.path)
        else:
            ids.add(m.unit_id)
    scope = Scope(subtree_paths=tuple(sorted(set(paths))), unit_ids=frozenset(ids))
    user._cityhall_scope = scope  # type: ignore[attr-defined]
    return scope


class ScopedQuerySet(models.QuerySet[_M]):
    """Base queryset for work that belongs to a unit; `unit_field` names the link."""

    unit_field: str = "unit"

    def visible_to(self, user: User | None) -> ScopedQuerySet[_M]:
        """Rows in the units the user may see; nothing for anyone else."""
        return self.filter(scope_of(user).q(self.unit_field))
