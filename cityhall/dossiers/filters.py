"""Which dossiers a list shows: one definition for the staff queue and the register (form 07).

An interface reads its own parameters into a `DossierFilter`, whose `apply` narrows a
queryset the caller has already scoped (`Dossier.objects.visible_to(user)`). What "open",
"late" and "waiting for the applicant" mean is written here once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cityhall.dossiers.models import Dossier

#: States in which the unit still has work (or waits for the applicant).
OPEN_STATES = ("received", "in_processing", "supplement_requested", "result_issued")


def late_q(now: dt.datetime) -> Q:
    """Open, its clock running, past its deadline."""
    return Q(closed_at__isnull=True, clock_paused_at__isnull=True, due_at__lt=now) & ~Q(
        state="result_issued")


@dataclass(frozen=True)
class DossierFilter:
    """The criteria of a list of dossiers; empty ones narrow nothing."""

    #: "open" (the default of the queue), "all", or one state.
    state: str = "open"
    procedure: str = ""
    unit: str = ""
    late: bool = False
    code: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None

    def apply(self, rows: QuerySet[Dossier], *, now: dt.datetime | None = None
              ) -> QuerySet[Dossier]:
        """Narrow `rows` (already scoped to what the user may see)."""
        now = now or timezone.now()
        if self.code:
            return rows.filter(code=self.code.strip())
        if self.state == "open":
            rows = rows.filter(closed_at__isnull=True)
        elif self.state and self.state != "all":
            rows = rows.filter(state=self.state)
        if self.procedure:
            rows = rows.filter(procedure__code=self.procedure)
        if self.unit:
            rows = rows.filter(Q(unit__code=self.unit) | Q(receiving_unit__code=self.unit))
        if self.late:
            rows = rows.filter(late_q(now))
        if self.received_from:
            rows = rows.filter(received_at__gte=_start_of(self.received_from))
        if self.received_to:
            rows = rows.filter(received_at__lt=_start_of(self.received_to + dt.timedelta(days=1)))
        return rows


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the city's time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def queue_counts(rows: QuerySet[Dossier], user_pk: int | None,
                 now: dt.datetime | None = None) -> dict[str, int]:
    """A queue in numbers: open, late, waiting for the applicant, result ready, assigned to
    the user (one query)."""
    now = now or timezone.now()
    return rows.order_by().aggregate(
        open=Count("pk", filter=Q(closed_at__isnull=True)),
        late=Count("pk", filter=late_q(now)),
        waiting=Count("pk", filter=Q(state="supplement_requested")),
        ready=Count("pk", filter=Q(state="result_issued")),
        mine=Count("pk", filter=Q(closed_at__isnull=True, assignee_id=user_pk)),
    )
