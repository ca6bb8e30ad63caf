"""The records behind a number: the steps, reports and dossiers a tally counted, for a unit's
subtree and a period, as the user may see them (the drill-down of every figure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.errors import Common
from cityhall.dossiers.models import Channel, Dossier, DossierComponent
from cityhall.indicators.errors import IndicatorError
from cityhall.indicators.recompute import moments
from cityhall.indicators.tallies import DOSSIER, REPORT
from cityhall.indicators.values import Period
from cityhall.orgunits.models import Unit
from cityhall.procedures.models import OnlineLevel
from cityhall.reports.models import Report
from cityhall.reports.states import OPEN_STATES
from cityhall.workflow.models import Transition

_ON_TIME = Q(due_at__isnull=True) | Q(at__lte=F("due_at"))
_LATE = Q(due_at__isnull=False, at__gt=F("due_at"))
# On a day before the deadline's day (the dates in the project's time zone, as the tally).
_EARLY = Q(due_at__isnull=False, due_at__date__gt=F("at__date"))

#: The tallies counted from the step log: (case type, step, a condition on the step).
STEP_TALLIES: dict[str, tuple[str, str, Q]] = {
    "reports.received": (REPORT, "start", Q()),
    "reports.resolved": (REPORT, "resolve", Q()),
    "reports.on_time": (REPORT, "resolve", _ON_TIME),
    "reports.late": (REPORT, "resolve", _LATE),
    "reports.reopened": (REPORT, "reopen", Q()),
    "dossiers.received": (DOSSIER, "start", Q()),
    "dossiers.results": (DOSSIER, "issue_result", Q()),
    "dossiers.on_time": (DOSSIER, "issue_result", _ON_TIME),
    "dossiers.late": (DOSSIER, "issue_result", _LATE),
    "dossiers.early": (DOSSIER, "issue_result", _EARLY),
    "dossiers.results_electronic": (DOSSIER, "issue_result", Q()),
}
#: Conditions on the dossier itself, for the dossier tallies that need one.
DOSSIER_FILTER: dict[str, Q] = {
    "dossiers.online": Q(channel=Channel.ONLINE),
    "dossiers.fully_online_eligible": Q(procedure__online=OnlineLevel.FULLY),
    "dossiers.fully_online": Q(channel=Channel.ONLINE, procedure__online=OnlineLevel.FULLY),
    "dossiers.results_electronic": Q(procedure__result_electronic=True),
    "dossiers.with_fee": Q(fee_vnd__gt=0),
}
#: Dossier tallies counted at a moment of their own (not a step's), for the unit of receipt.
DOSSIER_MOMENTS = ("dossiers.paid_online", "dossiers.components_digitised",
                   "dossiers.digitised")
RATED = ("reports.rating_count", "reports.rating_sum", "reports.rating_satisfied")
LIVE = ("reports.open_overdue", "dossiers.open_overdue", "dossiers.open",
        "dossiers.open_in_time")
#: Every tally and live count a drill-down can list.
DRILLABLE = frozenset({*STEP_TALLIES, *DOSSIER_FILTER, *DOSSIER_MOMENTS, *RATED, *LIVE})


@dataclass(frozen=True)
class Record:
    """One record behind a number: its code, when it counted, its unit, where to read it."""

    code: str
    at: dt.datetime | None
    unit: str
    url: str
    note: str = ""


def _subtree(unit: Unit, field: str = "unit") -> Q:
    return Q() if unit.parent_id is None else Q(**{f"{field}__path__startswith": unit.path})


def records(user: Any, tally: str, unit: Unit, period: Period) -> QuerySet[Any]:
    """The rows behind `tally` for `unit`'s subtree and `period`, visible to `user`.

    Each row has `code`, `counted_at` and `unit__name`; IndicatorError `not_found`
    for a name nothing can be listed for.
    """
    if tally not in DRILLABLE:
        raise IndicatorError(Common.NOT_FOUND, _("No records for this figure."))
    now = timezone.now()
    if tally in RATED:
        qs: QuerySet[Any] = Report.objects.visible_to(user).filter(
            _subtree(unit), moments("rated_at", period.first, period.last),
            rating__isnull=False)
        if tally == "reports.rating_satisfied":
            qs = qs.filter(rating__gte=4)
        return qs.annotate(counted_at=F("rated_at")).order_by("-rated_at", "-pk")
    if tally == "reports.open_overdue":
        return (Report.objects.visible_to(user).filter(_subtree(unit), state__in=OPEN_STATES,
                                                       due_at__lt=now)
                .annotate(counted_at=F("due_at")).order_by("due_at", "pk"))
    if tally in LIVE:
        qs = Dossier.objects.visible_to(user).filter(
            _subtree(unit), closed_at__isnull=True, clock_paused_at__isnull=True)
        if tally == "dossiers.open_overdue":
            qs = qs.filter(due_at__lt=now)
        elif tally == "dossiers.open_in_time":
            qs = qs.exclude(due_at__lt=now)
        return qs.annotate(counted_at=F("due_at")).order_by("due_at", "pk")
    if tally in DOSSIER_MOMENTS:
        return _dossier_moments(user, tally, unit, period)
    case_type, action, condition = STEP_TALLIES.get(tally, (DOSSIER, "start", Q()))
    steps = Transition.objects.filter(
        _subtree(unit), moments("at", period.first, period.last), condition,
        case_type=case_type, action=action)
    model: type[Report] | type[Dossier] = Report if case_type == REPORT else Dossier
    qs = model.objects.visible_to(user).filter(pk__in=steps.values("case_id"))
    if tally in DOSSIER_FILTER:
        qs = qs.filter(DOSSIER_FILTER[tally])
    # The moment of the (latest) counted step: a reopened report may have been answered twice.
    when = steps.filter(case_id=OuterRef("pk")).order_by("-at").values("at")[:1]
    return qs.annotate(counted_at=Subquery(when)).order_by("-counted_at", "-pk")


def _dossier_moments(user: Any, tally: str, unit: Unit, period: Period) -> QuerySet[Any]:
    """Dossiers received in the unit's subtree, paid or digitised in the period."""
    received = Transition.objects.filter(_subtree(unit), case_type=DOSSIER, action="start")
    qs = Dossier.objects.visible_to(user).filter(pk__in=received.values("case_id"))
    if tally == "dossiers.paid_online":
        return (qs.filter(moments("paid_at", period.first, period.last), paid_at__isnull=False)
                .annotate(counted_at=F("paid_at")).order_by("-paid_at", "-pk"))
    if tally == "dossiers.digitised":
        return (qs.filter(moments("digitised_at", period.first, period.last),
                          digitised_at__isnull=False)
                .annotate(counted_at=F("digitised_at")).order_by("-digitised_at", "-pk"))
    parts = DossierComponent.objects.filter(dossier=OuterRef("pk"))
    digitised = parts.filter(moments("digitised_at", period.first, period.last),
                             digitised_at__isnull=False).order_by("-digitised_at")
    return (qs.filter(Exists(digitised))
            .annotate(counted_at=Subquery(digitised.values("digitised_at")[:1]))
            .order_by("-counted_at", "-pk"))


def link(tally: str, code: str) -> str:
    """Where staff read the record with `code` behind `tally`."""
    if tally.startswith("reports."):
        return reverse("reports:staff_report", args=[code])
    return reverse("dossiers:status", args=[code])


def queue_link(tally: str, unit: Unit) -> str:
    """The staff reports list filtered to what `tally` counts, as near as its filters go."""
    if not tally.startswith("reports."):
        return ""
    query = "?state=all" if unit.parent_id is None else f"?state=all&unit={unit.code}"
    if tally == "reports.open_overdue":
        query = "?deadline=overdue" + ("" if unit.parent_id is None else f"&unit={unit.code}")
    return reverse("reports:staff_reports") + query
