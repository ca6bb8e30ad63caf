"""Reads behind the registry pages: the grouped tree, search results and one unit's page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cityhall.accounts.models import Membership, Role, User
from cityhall.orgunits.models import Unit, UnitKind, UnitSuccession

# The order kinds appear in, with a plural heading for each group.
KIND_ORDER: tuple[tuple[str, Promise], ...] = (
    (UnitKind.PROVINCE, _("Province and city")),
    (UnitKind.DEPARTMENT, _("Departments and agencies")),
    (UnitKind.WARD, _("Wards (phường)")),
    (UnitKind.COMMUNE, _("Communes (xã)")),
    (UnitKind.SPECIAL_ZONE, _("Special zones (đặc khu)")),
    (UnitKind.NEIGHBOURHOOD, _("Neighbourhoods (khu phố and ấp)")),
    (UnitKind.DIVISION, _("Internal divisions")),
    (UnitKind.DISTRICT, _("Districts (before 1 July 2025)")),
)
_RANK = {kind: rank for rank, (kind, _heading) in enumerate(KIND_ORDER)}
_HEADING = dict(KIND_ORDER)

# Kinds listed in the registry tree; neighbourhoods and divisions appear on their unit's page.
TREE_KINDS = (UnitKind.DEPARTMENT, UnitKind.WARD, UnitKind.COMMUNE, UnitKind.SPECIAL_ZONE)
SEARCH_LIMIT = 50
_ROLE_ORDER = (Role.LEADER, Role.ADMIN, Role.OFFICER, Role.CLERK, Role.NEIGHBOURHOOD_HEAD)


@dataclass
class KindGroup:
    """Units of one kind, listed together under a plural heading."""

    kind: str
    heading: Promise
    units: list[Unit] = field(default_factory=list)
    ended: bool = False

    @property
    def count(self) -> int:
        return len(self.units)


def _kind_rank() -> Case:
    """An SQL expression ordering units by KIND_ORDER."""
    return Case(
        *(When(kind=kind, then=Value(rank)) for kind, rank in _RANK.items()),
        default=Value(len(_RANK)),
        output_field=IntegerField(),
    )


def group_by_kind(units: list[Unit], today: dt.date | None = None) -> list[KindGroup]:
    """Split units (already ordered by kind) into groups; ended units form their own groups."""
    today = today or timezone.localdate()
    groups: list[KindGroup] = []
    for (ended, kind), members in groupby(
        units, key=lambda u: (not u.is_active_on(today), u.kind)
    ):
        heading = _HEADING.get(kind, kind)
        groups.append(KindGroup(kind=kind, heading=heading, units=list(members), ended=ended))
    return groups


def tree_units(*, include_ended: bool) -> list[Unit]:
    """The registry tree's units: roots, departments and commune-level units (one query)."""
    kinds: tuple[str, ...] = TREE_KINDS
    units = Unit.objects.all()
    if include_ended:
        kinds = (*kinds, UnitKind.DISTRICT)
    else:
        units = units.active_on()
    units = units.filter(Q(parent__isnull=True) | Q(kind__in=kinds))
    # Ended units sort after the units of today, so legacy groups come last.
    ended_last = Case(
        When(valid_to__lt=timezone.localdate(), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return list(
        units.select_related("parent")
        .annotate(kind_rank=_kind_rank(), ended_rank=ended_last)
        .order_by("ended_rank", "kind_rank", "search_name", "pk")
    )


def search_units(q: str, *, include_ended: bool) -> tuple[list[Unit], int]:
    """Units whose name matches `q` (diacritics ignored), the first SEARCH_LIMIT and the total."""
    units = Unit.objects.search(q)
    if not include_ended:
        units = units.active_on()
    total = units.count()
    found: list[Unit] = list(
        units.select_related("parent")
        .annotate(kind_rank=_kind_rank())
        .order_by("kind_rank", "search_name", "pk")[:SEARCH_LIMIT]
    )
    return found, total


def find_unit(code: str, on: dt.date | None = None) -> Unit | None:
    """The unit with `code` valid on `on`; without a date, today's unit, else the latest ended."""
    today = timezone.localdate()
    candidates = list(Unit.objects.filter(code=code).select_related("parent"))
    if on is not None:
        matching = [u for u in candidates if u.is_active_on(on)]
        return max(matching, key=lambda u: u.valid_from or dt.date.min, default=None)
    active = [u for u in candidates if u.is_active_on(today)]
    if active:
        return max(active, key=lambda u: u.valid_from or dt.date.min)
    ended = [u for u in candidates if u.valid_to is not None and u.valid_to < today]
    return max(ended, key=lambda u: u.valid_to or dt.date.min, default=None)


def children_of(unit: Unit) -> list[KindGroup]:
    """The unit's children grouped by kind: today's for a live unit, all for an ended one."""
    children = Unit.objects.filter(parent=unit)
    if unit.is_active_on():
        children = children.active_on()
    ordered = children.annotate(kind_rank=_kind_rank()).order_by("kind_rank", "search_name", "pk")
    return group_by_kind(list(ordered))


def successions_of(unit: Unit) -> tuple[list[UnitSuccession], list[UnitSuccession]]:
    """The unit's predecessors and successors, as succession links with their dates (one query)."""
    links = list(
        UnitSuccession.objects.filter(Q(predecessor=unit) | Q(successor=unit))
        .select_related("predecessor", "successor")
        .order_by("effective_on", "-is_primary", "pk")
    )
    predecessors = [link for link in links if link.successor_id == unit.pk]
    successors = [link for link in links if link.predecessor_id == unit.pk]
    return predecessors, successors


def is_staff_member(user: User | object) -> bool:
    """Whether a user is staff of the city (may see who works in which unit)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_superuser", False) or getattr(user, "kind", "") == "staff")


def staff_of(unit: Unit) -> list[Membership]:
    """Memberships in force today in the unit, with their people (one query)."""
    return list(
        Membership.objects.active_on()
        .filter(unit=unit)
        .select_related("user")
        .annotate(
            role_rank=Case(
                *(When(role=role, then=Value(rank)) for rank, role in enumerate(_ROLE_ORDER)),
                default=Value(len(_ROLE_ORDER)),
                output_field=IntegerField(),
            )
        )
        .order_by("role_rank", "user__full_name", "user__username")
    )
