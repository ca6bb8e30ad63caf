"""Reads of dossiers, named for the business."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db.models import Q

from cityhall.core.scoping import scope_of
from cityhall.workflow.models import WorkflowCaseQuerySet

if TYPE_CHECKING:
    # Only in the quoted type argument, which pyflakes does not read.
    from cityhall.dossiers.models import Dossier  # noqa: F401


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
