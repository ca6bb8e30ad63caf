"""Plans, their phases and tasks, the links between tasks, progress reports and extensions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.files.models import StoredFile
from cityhall.plans.queries import PlanQuerySet, TaskQuerySet
from cityhall.plans.status import Status, task_status


class Field(models.TextChoices):
    """The fields a plan serves (a plan may serve several)."""

    DIGITAL_TRANSFORMATION = "digital_transformation", _("digital transformation")
    SCIENCE_TECHNOLOGY = "science_technology", _("science and technology")
    INNOVATION = "innovation", _("innovation")
    ADMINISTRATIVE_REFORM = "administrative_reform", _("administrative reform")
    PUBLIC_INVESTMENT = "public_investment", _("public investment")


class OriginKind(models.TextChoices):
    """What a task was given from (plans/origins.py)."""

    NONE = "none", _("nothing in particular")
    REQUEST = "request", _("a resident's report")
    DOCUMENT = "document", _("an official document")
    INDICATOR = "indicator", _("a number on the dashboard")
    DOSSIER = "dossier", _("a dossier")
    TASK = "task", _("another task")


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("in force")
    CLOSED = "closed", _("closed")


class Plan(models.Model):
    """A plan set by an official document, owned by a unit, in phases with deadlines."""

    title = models.CharField(_("title"), max_length=500)
    # As written on the document ("02/KH-BCĐ", "ngày 15/3/2025"): a link to the document
    # itself comes with the documents app.
    document_number = models.CharField(_("document number"), max_length=64, blank=True)
    document_date = models.CharField(_("document date"), max_length=64, blank=True)
    owner_unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("owning unit"))
    fields = models.JSONField(_("fields"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=PlanStatus.choices,
                              default=PlanStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Phase(models.Model):
    """A phase of a plan; its deadline is a milestone on the chart."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("name"), max_length=200)
    deadline = models.DateField(_("deadline"))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["plan", "deadline", "pk"]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A task: who leads it, who helps, who answers for it, from when to when, how far."""

    # Null for a task given "now" outside any plan; `owner_unit` then is the assigner's.
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="tasks", verbose_name=_("plan"))
    phase = models.ForeignKey(Phase, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="tasks", verbose_name=_("phase"))
    # The unit answering for the task (the plan's owner, or the unit of whoever assigned it
    # now): its leaders decide extensions and change dates.
    owner_unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("owning unit"))
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    lead_unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("lead unit"))
    coordinating_units = models.ManyToManyField("orgunits.Unit", blank=True, related_name="+",
                                                verbose_name=_("coordinating units"))
    person_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="plan_tasks", verbose_name=_("person in charge"))
    start = models.DateField(_("start"))
    due = models.DateField(_("due"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent task"))
    cancelled = models.BooleanField(_("cancelled"), default=False)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    # The due date a reminder was last sent for: an extension moves the due date, and the
    # reminder job sends again for the new one.
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    idempotency_scope = models.CharField(max_length=200, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Where the task was given from (plans/origins.py): a report, a document, a red number.
    # db_default: rows written by code that predates the columns stay valid (zero downtime).
    origin_kind = models.CharField(_("given from"), max_length=16, default=OriginKind.NONE,
                                   db_default=OriginKind.NONE.value, choices=OriginKind.choices)
    origin_ref = models.CharField(_("origin's reference"), max_length=64, blank=True,
                                  default="", db_default="")
    origin_label = models.CharField(_("origin"), max_length=300, blank=True, default="",
                                    db_default="")
    origin_url = models.CharField(_("origin's page"), max_length=500, blank=True, default="",
                                  db_default="")

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(due__gte=F("start")), name="task_due_after_start"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_percent"),
            models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"],
                                    condition=~Q(idempotency_key=""),
                                    name="task_idempotency_unique"),
        ]
        indexes = [models.Index(fields=["lead_unit", "due"], name="task_lead_due"),
                   models.Index(fields=["plan", "start"], name="task_plan_start"),
                   models.Index(fields=["origin_kind", "origin_ref"], name="task_origin")]

    def __str__(self) -> str:
        return self.title

    def status_on(self, today: dt.date | None = None) -> Status:
        """The derived status on `today` (the city's today when omitted)."""
        return task_status(start=self.start, due=self.due, done_on=self.done_on,
                           progress=self.progress, cancelled=self.cancelled,
                           today=today or timezone.localdate())


class Dependency(models.Model):
    """Finish-to-start: `successor` starts `lag` working days after `predecessor` ends."""

    predecessor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    lag = models.PositiveSmallIntegerField(_("lag (working days)"), default=0)

    class Meta:
        verbose_name = _("dependency")
        verbose_name_plural = _("dependencies")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="dependency_unique"),
            models.CheckConstraint(condition=~Q(predecessor=F("successor")),
                                   name="dependency_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} -> {self.successor_id} (+{self.lag})"


class ProgressReport(models.Model):
    """What someone reported of a task's progress, when."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    at = models.DateTimeField(_("at"), default=timezone.now)
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           related_name="+", verbose_name=_("by"))

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["task", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.percent}%"


class Decision(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class ExtensionRequest(models.Model):
    """A request to move a task's due date, and the plan owner's decision on it."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="extensions")
    asked_due = models.DateField(_("new due date asked"))
    previous_due = models.DateField(_("due date when asked"))
    reason = models.TextField(_("reason"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices,
                                default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["task", "asked_at", "pk"]
        constraints = [
            # One request waits at a time: the owner answers it before another is asked.
            models.UniqueConstraint(fields=["task"], condition=Q(decision="pending"),
                                    name="extension_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.previous_due} -> {self.asked_due} ({self.decision})"


class CalendarFeed(models.Model):
    """A secret address at which a calendar app reads one person's or one unit's deadlines.

    The address carries an HMAC of the row and its `nonce` under the site's secret key, so
    the table holds no usable secret; renewing the nonce revokes the old address.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="calendar_feeds")
    # Null: the owner's own tasks (as person in charge); else the tasks a unit leads.
    unit = models.ForeignKey("orgunits.Unit", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    nonce = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(fields=["owner", "unit"], name="calendar_feed_unique"),
            models.UniqueConstraint(fields=["owner"], condition=Q(unit__isnull=True),
                                    name="calendar_feed_one_personal"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.unit_id or 'own'}"


class Target(models.Model):
    """A task's numeric commitment: reach `value` (in `measure`, e.g. VND) by the day `by`.

    Reported values are readings of the running total (the disbursement so far), so the
    latest one is the actual; the commitment is met when a value reported as of a day on or
    before `by` reaches the target.
    """

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="target",
                                verbose_name=_("task"))
    value = models.DecimalField(_("target value"), max_digits=20, decimal_places=2)
    measure = models.CharField(_("unit of measure"), max_length=32)
    by = models.DateField(_("to reach by"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               related_name="+")
    set_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [models.CheckConstraint(condition=Q(value__gt=0), name="target_positive")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.value} {self.measure} by {self.by}"


class TargetValue(models.Model):
    """A value reported against a target, as of a day (the running total on that day)."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="values")
    value = models.DecimalField(_("reported value"), max_digits=20, decimal_places=2)
    on = models.DateField(_("as of"))
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("reported value")
        verbose_name_plural = _("reported values")
        ordering = ["target", "on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(value__gte=0),
                                              name="target_value_not_negative")]
        indexes = [models.Index(fields=["target", "on"], name="target_value_on")]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.value} on {self.on}"


# -- deliverables and evidence (issue #13) ---------------------------------------------------


class EvidenceKind(models.TextChoices):
    FILE = "file", _("file")
    LINK = "link", _("link")


class Evidence(StoredFile):
    """A deliverable or piece of evidence on a task: a stored file, or a link, with a note.

    A link's row stores no file (`file` empty, `size` 0). Removal is soft: the row stays in
    the task's history with who removed it and when, and its file is no longer served.
    """

    storage_folder = "plans"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="evidence",
                             verbose_name=_("task"))
    kind = models.CharField(_("kind"), max_length=4, choices=EvidenceKind.choices)
    url = models.URLField(_("address"), max_length=2000, blank=True)
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 related_name="+", verbose_name=_("added by"))
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("removed by"))
    idempotency_scope = models.CharField(max_length=200, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["task", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"],
                                    condition=~Q(idempotency_key=""),
                                    name="evidence_idempotency_unique"),
            models.CheckConstraint(
                condition=(Q(kind="link") & ~Q(url="")) | (Q(kind="file") & ~Q(file="")),
                name="evidence_file_or_link"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.url or self.original_name or self.file.name}"

    @property
    def removed(self) -> bool:
        return self.removed_at is not None
