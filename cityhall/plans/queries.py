"""Reads of plans and tasks, named for the business; every read starts from `visible_to`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When

from cityhall.core.scoping import scope_of
from cityhall.plans.status import Status

if TYPE_CHECKING:
    # Only in the quoted type arguments, which pyflakes does not read.
    from cityhall.plans.models import ExtensionRequest, Plan, Task  # noqa: F401


def _mine(user: Any) -> Q:
    return (Q(person_in_charge=user) if getattr(user, "is_authenticated", False)
            else Q(pk__in=[]))


def status_expression(today: dt.date) -> Case:
    """`status.task_status` as SQL, for filtering and counting in the database."""
    return Case(
        When(cancelled=True, then=Value(Status.CANCELLED.value)),
        When(done_on__isnull=False, done_on__lte=models.F("due"),
             then=Value(Status.DONE_ON_TIME.value)),
        When(done_on__isnull=False, then=Value(Status.DONE_LATE.value)),
        When(due__lt=today, then=Value(Status.OVERDUE.value)),
        When(Q(start__lte=today) | Q(progress__gt=0), then=Value(Status.IN_PROGRESS.value)),
        default=Value(Status.NOT_STARTED.value),
        output_field=models.CharField(),
    )


class TaskQuerySet(models.QuerySet["Task"]):
    """Tasks: seen by their owning, lead and coordinating units, and their person in charge."""

    def visible_to(self, user: Any) -> Self:
        """Tasks of the units the user may see, and the user's own; nothing for anyone else."""
        scope = scope_of(user)
        if scope.everything:
            return self.all()
        from cityhall.plans.models import Task

        helping = Task.coordinating_units.through.objects.filter(
            Q(task_id=OuterRef("pk")) & scope.q("unit"))
        return self.filter(scope.q("owner_unit") | scope.q("lead_unit") | Exists(helping)
                           | _mine(user))

    def with_status(self, today: dt.date) -> Self:
        """Each task with its derived `status` on `today`, computed by the database."""
        return self.annotate(status=status_expression(today))

    def open(self) -> Self:
        """Tasks neither done nor cancelled."""
        return self.filter(done_on__isnull=True, cancelled=False)


class PlanQuerySet(models.QuerySet["Plan"]):
    """Plans: seen by their owning unit, and by the units and people given tasks in them."""

    def visible_to(self, user: Any) -> Self:
        """Plans the user's units own or have tasks in; nothing for anyone else."""
        scope = scope_of(user)
        if scope.everything:
            return self.all()
        from cityhall.plans.models import Task

        tasks = Task.objects.visible_to(user).filter(plan_id=OuterRef("pk"))
        return self.filter(scope.q("owner_unit") | Exists(tasks))


def pending_extensions(user: Any) -> models.QuerySet[ExtensionRequest]:
    """The extension requests waiting for `user`'s decision: tasks of units they steer."""
    from cityhall.plans.models import Decision, ExtensionRequest

    managed = scope_of(user).managed()
    if managed.is_empty:
        return ExtensionRequest.objects.none()
    return (ExtensionRequest.objects.filter(decision=Decision.PENDING)
            .filter(managed.q("task__owner_unit")).order_by("asked_at", "pk"))
