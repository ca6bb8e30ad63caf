"""The indicator catalogue (loaded from data/catalogue.yaml) and the daily roll-up counts."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cityhall.core.scoping import ScopedQuerySet


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")
    NEUTRAL = "neutral", _("a volume: neither better")


class Source(models.TextChoices):
    COMPUTED = "computed", _("computed from records")
    REPORTED = "reported", _("reported by units")


class Indicator(models.Model):
    """One indicator of the catalogue: what it measures, how, and which way is better."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    group = models.CharField(_("group"), max_length=32)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    unit = models.CharField(_("unit of measure"), max_length=24)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    frequency = models.CharField(_("frequency"), max_length=12)
    formula_vi = models.TextField(_("formula (Vietnamese)"))
    formula_en = models.TextField(_("formula (English)"))
    compute = models.JSONField(_("how it is computed"), default=dict, blank=True)
    reporters = models.JSONField(_("unit kinds that report it"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        """The name in the reader's language."""
        return self.name_en if _in_english() else self.name_vi

    @property
    def formula(self) -> str:
        """The documented formula in the reader's language."""
        return self.formula_en if _in_english() else self.formula_vi

    def as_dict(self) -> dict[str, Any]:
        """What the catalogue file holds for it (the loader compares with it)."""
        return {f: getattr(self, f) for f in (
            "group", "name_vi", "name_en", "unit", "direction", "source", "frequency",
            "formula_vi", "formula_en", "compute", "reporters", "order")}


def _in_english() -> bool:
    return (translation.get_language() or "").startswith("en")


class DailyTally(models.Model):
    """How many times something counted happened at a unit on a day (Vietnam's date).

    Written only by `tallies.count_facts` (in the transaction of the change it counts)
    and by `cityhall indicators rebuild`; `cityhall indicators verify` recomputes it from
    the records. `metric` is a tally name of `tallies.METRICS`.
    """

    day = models.DateField(_("day"))
    unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    metric = models.CharField(_("tally"), max_length=48)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("daily tally")
        verbose_name_plural = _("daily tallies")
        constraints = [
            models.UniqueConstraint(fields=["day", "unit", "metric"], name="tally_day_unit_metric"),
        ]
        # The city reads a period's days (the unique index, day first); a ward its own
        # few units' days (this one), not the whole city's rows of the period.
        indexes = [models.Index(fields=["unit", "day"], name="tally_unit_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.metric}={self.value}"


class Target(models.Model):
    """A unit's target for a reported indicator in a year (set by its leaders; audited)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("target"), max_digits=20, decimal_places=4)
    set_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                               related_name="+")
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [models.UniqueConstraint(fields=["indicator", "unit", "year"],
                                               name="target_indicator_unit_year")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.unit_id} {self.year}={self.value}"


class ReportState(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("approved")
    RETURNED = "returned", _("returned")


class Channel(models.TextChoices):
    FORM = "form", _("form")
    IMPORT = "import", _("XLSX import")
    API = "api", _("API")


class ReportedValueQuerySet(ScopedQuerySet["ReportedValue"]):
    """Reported values; `visible_to` keeps the units the reader may see."""

    def approved(self) -> ReportedValueQuerySet:
        return self.filter(state=ReportState.APPROVED)

    def pending(self) -> ReportedValueQuerySet:
        return self.filter(state=ReportState.PENDING)


class ReportedValue(models.Model):
    """One version of a unit's value of a reported indicator for a month, quarter or year.

    Never overwritten: a correction is a new version (`version` + 1) that goes through
    approval again; the figures read the latest approved version of each (unit, period).
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM, YYYY-Qn or YYYY
    first = models.DateField(_("first day"))
    last = models.DateField(_("last day"))
    version = models.PositiveIntegerField(_("version"), default=1)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    note = models.CharField(_("note"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=ReportState.choices,
                             default=ReportState.PENDING)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason returned"), max_length=500, blank=True)

    objects = ReportedValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("reported value")
        verbose_name_plural = _("reported values")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit", "period", "version"],
                                    name="reported_indicator_unit_period_version"),
        ]
        indexes = [models.Index(fields=["indicator", "state", "first"],
                                name="reported_indicator_state_first")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.unit_id} {self.period} v{self.version}"


class IndicatorTask(models.Model):
    """A task given with "assign now" from a red number: which figure it came from."""

    task = models.OneToOneField("plans.Task", on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, related_name="+")
    first = models.DateField(_("first day"))
    last = models.DateField(_("last day"))
    value = models.FloatField(_("value"), null=True)

    class Meta:
        verbose_name = _("task from an indicator")
        verbose_name_plural = _("tasks from indicators")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.unit_id} task {self.task_id}"
