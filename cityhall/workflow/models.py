"""Workflow data: definitions, the case mixin, the append-only history, calendar exceptions."""

from __future__ import annotations

from typing import Any, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.scoping import ScopedQuerySet

# The concrete case model a WorkflowCaseQuerySet reads (Report, ...).
_C = TypeVar("_C", bound=models.Model)


class CalendarException(models.Model):
    """A day an administrator declares off, or a make-up working day (usually a Saturday)."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("day off")
        WORKING_DAY = "working_day", _("make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} · {self.get_kind_display()} · {self.name}"


class WorkflowDefinition(models.Model):
    """One version of a workflow, loaded from a YAML file; frozen once a case uses it."""

    name = models.CharField(_("name"), max_length=80)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    spec = models.JSONField(_("definition"))
    source = models.CharField(_("source file"), max_length=300, blank=True)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("workflow definition")
        verbose_name_plural = _("workflow definitions")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="unique_workflow_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class WorkflowCaseQuerySet(ScopedQuerySet[_C]):
    """Cases of any type: scope by unit, and the ones a sweep must look at."""

    def open(self) -> Self:
        return self.filter(closed_at__isnull=True)

    def due_for_sweep(self, now: Any) -> Self:
        return self.filter(next_sweep_at__lte=now)


class WorkflowCase(models.Model):
    """The fields the engine keeps on a case; a domain model inherits them and adds its own.

    A concrete case declares its manager, `objects = <a WorkflowCaseQuerySet>.as_manager()`,
    so that the type checker sees its own queryset methods.
    """

    unit = models.ForeignKey(
        "orgunits.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    workflow = models.ForeignKey(
        WorkflowDefinition, on_delete=models.PROTECT, related_name="+", null=True,
        editable=False,
    )
    state = models.CharField(_("state"), max_length=64, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("assignee"),
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    state_entered_at = models.DateTimeField(null=True, blank=True, editable=False)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True, editable=False)
    state_due_at = models.DateTimeField(
        _("deadline in this state"), null=True, blank=True, editable=False
    )
    # While a state stops the clock, the working time left is kept here and
    # due_at is recomputed from it when the clock restarts.
    clock_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    clock_remaining_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The sweep's bookmark: which deadline rule fires next, and when.
    sweep_stage = models.PositiveSmallIntegerField(default=0, editable=False)
    next_sweep_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(default=0, editable=False)
    steps = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True


class TransitionQuerySet(models.QuerySet["Transition"]):
    def for_case(self, case: models.Model) -> TransitionQuerySet:
        return self.filter(case_type=case._meta.label_lower, case_id=case.pk)

    def update(self, **kwargs: Any) -> int:
        raise TypeError("the transition log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("the transition log is append-only")


class Transition(models.Model):
    """One step in a case's history. Rows are only ever added, never changed or removed."""

    case_type = models.CharField(max_length=100)
    case_id = models.BigIntegerField()
    workflow = models.ForeignKey(WorkflowDefinition, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=64)
    from_state = models.CharField(max_length=64, blank=True)
    to_state = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    reason = models.CharField(max_length=64, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    assignee_before = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    due_at = models.DateTimeField(null=True)
    # The unit that held the case at this step (a transfer's step is the sending unit's):
    # what the indicators' roll-ups count the step for. Empty on steps written before it.
    unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, null=True,
                             related_name="+", db_index=False)
    remaining_seconds = models.BigIntegerField(
        null=True, help_text=_("Working time left to the case deadline at this step.")
    )
    idempotency_key = models.CharField(max_length=100, blank=True)

    objects = TransitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["case_type", "case_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case_type", "case_id", "seq"], name="unique_step"),
            models.UniqueConstraint(
                fields=["case_type", "case_id", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="unique_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["case_type", "case_id"], name="transition_case")]

    def __str__(self) -> str:
        return f"{self.case_type}#{self.case_id} {self.seq}: {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise TypeError("the transition log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("the transition log is append-only")


class ExampleCase(WorkflowCase):
    """The engine's reference case type: used by tests and the benchmark; a model to copy."""

    title = models.CharField(_("title"), max_length=200)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    objects = WorkflowCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("example case")
        verbose_name_plural = _("example cases")

    def __str__(self) -> str:
        return self.title
