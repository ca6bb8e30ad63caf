"""Which unit's figures a user may see: the dashboard starts from the top of their scope."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cityhall.accounts.scope import scope_of
from cityhall.core.errors import Common
from cityhall.indicators.errors import IndicatorError
from cityhall.orgunits.models import Unit, UnitKind


def city() -> Unit | None:
    """The open-ended province unit (the city), if the registry is loaded."""
    return Unit.objects.filter(parent__isnull=True, kind=UnitKind.PROVINCE,
                               valid_to__isnull=True).defer("boundary").first()


def tops(user: Any) -> list[Unit]:
    """The highest units whose figures `user` may see: the city for the city leadership,
    the managed units for other leaders, their own units for other staff; [] for anyone
    else."""
    scope = scope_of(user)
    if scope.everything:
        found = city()
        return [found] if found is not None else []
    units = list(Unit.objects.filter(path__in=scope.subtree_paths).defer("boundary")
                 .order_by("path"))
    units += [u for u in Unit.objects.filter(pk__in=scope.unit_ids).defer("boundary")
              .order_by("path")
              if not any(u.path.startswith(t.path) for t in units)]
    return units


def unit_for(user: Any, code: str | None) -> Unit:
    """The unit asked for (by code, in service) if `user` may see it, else their first top.

    IndicatorError `not_found` for a code that names no unit the user may see:
    a unit outside the scope is not told apart from one that does not exist.
    """
    scope = scope_of(user)
    if code:
        unit = Unit.objects.filter(code=code[:32], valid_to__isnull=True).defer(
            "boundary").first()
        if unit is None or not scope.covers(unit):
            raise IndicatorError(Common.NOT_FOUND, _("No such unit in your scope."))
        return unit
    found = tops(user)
    if not found:
        raise IndicatorError(Common.NOT_FOUND, _("No unit in your scope."))
    return found[0]
