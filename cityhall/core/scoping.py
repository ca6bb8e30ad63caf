"""The scoping base: querysets of work that belongs to a unit, filtered by who may see it.

Core does not know who sees what: the people app registers the one function that
answers it (`register_scope_lookup`), and every `ScopedQuerySet.visible_to(user)`
asks that function. Until one is registered, and for no user, the answer is the
empty scope: a forgotten registration or check shows nothing, never everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

_M = TypeVar("_M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """The units a user may see: whole subtrees by path, and single units by id.

    Units carry a materialised path of codes ("79/26740/"), so a subtree is one prefix
    query; `everything` also selects rows that belong to no unit.
    """

    everything: bool = False
    subtree_paths: tuple[str, ...] = ()
    unit_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.subtree_paths or self.unit_ids)

    def managed(self) -> Scope:
        """The part of the scope held as leader or administrator (subtrees only)."""
        return Scope(everything=self.everything, subtree_paths=self.subtree_paths)

    def q(self, unit_field: str = "") -> Q:
        """A filter selecting rows whose `unit_field` lies in this scope; without one, a
        filter on the units themselves."""
        if self.everything:
            return Q()
        prefix = f"{unit_field}__" if unit_field else ""
        condition = Q(pk__in=[])
        for path in self.subtree_paths:
            condition |= Q(**{f"{prefix}path__startswith": path})
        if self.unit_ids:
            condition |= Q(**{f"{unit_field}__in" if unit_field else "pk__in":
                              sorted(self.unit_ids)})
        return condition

    def covers(self, unit: Any) -> bool:
        """Whether a unit lies in this scope."""
        if self.everything:
            return True
        if unit is None:
            return False
        return unit.pk in self.unit_ids or any(unit.path.startswith(p) for p in self.subtree_paths)


#: The empty scope: what anyone sees when nothing says otherwise.
NOTHING = Scope()

#: Answers "which units may this user see?"; registered once, by the app that holds people.
ScopeLookup = Callable[[Any], Scope]

_lookup: ScopeLookup | None = None


def register_scope_lookup(lookup: ScopeLookup | None) -> ScopeLookup | None:
    """Make `lookup` the answer to every `visible_to`; returns the one it replaces."""
    global _lookup
    previous, _lookup = _lookup, lookup
    return previous


def scope_of(user: Any) -> Scope:
    """The registered lookup's scope for `user`; empty for no user, anonymous, or no lookup."""
    if _lookup is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    return _lookup(user)


class ScopedQuerySet(models.QuerySet[_M]):
    """Base queryset for records that belong to a unit; `unit_field` names the link."""

    unit_field: str = "unit"

    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> Self:
        """Rows in the units the user may see; nothing for anyone else."""
        return self.filter(scope_of(user).q(self.unit_field))
