"""Reads of dossiers, named for the business."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db.models import Q

from cityhall.core.scoping import scope_of
from cityhall.workflow.models import Transition, WorkflowCaseQuerySet

if TYPE_CHECKING:
    from cityhall.dossiers.models import Dossier


class DossierQuerySet(WorkflowCaseQuerySet["Dossier"]):
    """Dossiers: the units handling them see them, and so does their applicant."""

    def visible_to(self, user: Any) -> Self:
        """Dossiers that the user's units decide or received; nothing for anyone else."""
        scope = scope_of(user)
        return self.filter(scope.q("unit") | scope.q("receiving_unit"))

    def readable_by(self, user: Any) -> Self:
        """What `visible_to` gives, plus the user's own dossiers as applicant."""
        scope = scope_of(user)
        mine = Q(applicant=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
        return self.filter(scope.q("unit") | scope.q("receiving_unit") | mine)


def component_numbers(dossier: Dossier) -> dict[int, int]:
    """The procedure's components of a dossier by primary key -> their number (1, 2, ...)."""
    pks = dossier.procedure.components.order_by("order", "pk").values_list("pk", flat=True)
    return {pk: number for number, pk in enumerate(pks, start=1)}


def receiving_unit_id(dossier: Dossier) -> int:
    """The unit the index counts a dossier's receipt for: the one holding it at its start
    step (a transfer later does not move the receipt); the roll-ups count the parts
    digitised and the payment of the dossier there too, as `recompute` does."""
    found = (Transition.objects.filter(case_type=dossier._meta.label_lower, case_id=dossier.pk,
                                       action="start").order_by("pk")
             .values_list("unit_id", flat=True).first())
    return found or dossier.unit_id
