"""The indicator catalogue (loaded from data/catalogue.yaml) and the daily roll-up counts."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


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
        indexes = [models.Index(fields=["metric", "day"], name="tally_metric_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.metric}={self.value}"
