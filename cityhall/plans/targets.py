"""Targets and commitments: a task's numeric target, the values reported against it, and
whether it was met. The rule is a pure function; `target_states` reads many at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from cityhall.plans.models import Target, TargetValue


@dataclass(frozen=True)
class TargetState:
    """A target against its actual: the latest reported value, and whether it was met."""

    value: Decimal
    measure: str
    by: dt.date
    actual: Decimal | None
    met: bool
    #: Whether the day `by` has passed (or the target was met): the commitment has an outcome.
    settled: bool

    @property
    def share(self) -> float | None:
        """The actual as a share of the target (0 to 1 and beyond), if anything was reported."""
        return float(self.actual / self.value) if self.actual is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "measure": self.measure, "by": self.by,
                "actual": self.actual, "met": self.met,
                "share": round(self.share, 3) if self.share is not None else None}


def commitment(*, value: Decimal, measure: str, by: dt.date,
               readings: Iterable[tuple[dt.date, Decimal]], today: dt.date) -> TargetState:
    """The state of a target given its readings (day, running total); pure.

    The actual is the reading of the latest day; the commitment is met when a reading as of
    a day on or before `by` reaches the value (a reading after `by` counts as actual, not as
    the commitment kept).
    """
    ordered = sorted(readings, key=lambda r: r[0])
    actual = ordered[-1][1] if ordered else None
    met = any(day <= by and reading >= value for day, reading in ordered)
    return TargetState(value=value, measure=measure, by=by, actual=actual, met=met,
                       settled=met or today > by)


def target_states(tasks: QuerySet[Any], today: dt.date) -> dict[int, TargetState]:
    """The states of the targets of these tasks (those that have one), in two queries.

    `tasks` is a queryset of tasks: it goes into the queries as a subquery, so a year of
    tasks costs no more round trips than one.
    """
    ids = tasks.values("pk")
    # Plain rows, not model instances: a month's scorecards read a thousand targets.
    targets = {pk: (task, value, measure, by) for pk, task, value, measure, by in
               Target.objects.filter(task_id__in=ids).values_list(
                   "pk", "task_id", "value", "measure", "by")}
    readings: dict[int, list[tuple[dt.date, Decimal]]] = {pk: [] for pk in targets}
    for target_id, on, value in TargetValue.objects.filter(
            target__task_id__in=ids).values_list("target_id", "on", "value"):
        readings[target_id].append((on, value))
    return {task: commitment(value=value, measure=measure, by=by, readings=readings[pk],
                             today=today)
            for pk, (task, value, measure, by) in targets.items()}
