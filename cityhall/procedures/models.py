"""The catalogue of administrative procedures: what each needs, who decides, how long, what fee."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cityhall.core.text import search_key
from cityhall.procedures.queries import ProcedureQuerySet

#: A procedure's code: the national code and the agency code, 1.000494.000.00.00.H29.
CODE_PATTERN = r"^\d\.\d{6}\.\d{3}\.\d{2}\.\d{2}\.[GH]\d{2}$"


class Level(models.TextChoices):
    COMMUNE = "commune", _("commune level")
    PROVINCE = "province", _("province level")


class Decider(models.TextChoices):
    """Which kind of unit decides a procedure's dossiers."""

    COMMUNE = "commune", _("commune-level People's Committee")
    COMMUNE_POLICE = "commune_police", _("commune-level police")
    DEPARTMENT = "department", _("city department")
    PROVINCE_POLICE = "province_police", _("city police")
    PROVINCE = "province", _("city People's Committee")


class OnlineLevel(models.TextChoices):
    FULLY = "fully", _("fully online")
    PARTLY = "partly", _("partly online")
    NONE = "none", _("not online")


class DataSource(models.TextChoices):
    """The state's databases whose data can replace a paper component."""

    POPULATION = "population", _("national population database")
    BUSINESS_REGISTRY = "business_registry", _("national business registry")
    LAND_REGISTRY = "land_registry", _("land database")
    CIVIL_STATUS = "civil_status", _("electronic civil status database")


def _in_english() -> bool:
    return (translation.get_language() or "").startswith("en")


class Procedure(models.Model):
    """One administrative procedure of the province's catalogue."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=500)
    name_en = models.CharField(_("name (English)"), max_length=500, blank=True)
    sector = models.CharField(_("sector (Vietnamese)"), max_length=200)
    sector_en = models.CharField(_("sector (English)"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    decided_by = models.CharField(_("decided by"), max_length=24, choices=Decider.choices)
    processing_days = models.PositiveSmallIntegerField(_("processing time (working days)"))
    time_note = models.CharField(_("processing time as published"), max_length=500, blank=True)
    fee_vnd = models.PositiveIntegerField(_("fee (VND)"), default=0)
    fee_note = models.CharField(_("fees as published"), max_length=500, blank=True)
    online = models.CharField(_("online level"), max_length=8, choices=OnlineLevel.choices)
    result = models.CharField(_("result"), max_length=500)
    result_electronic = models.BooleanField(_("result issued electronically"), default=False)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    workflow = models.CharField(_("workflow"), max_length=80, default="dossier")
    #: Fields of the entry that could not be checked against the published record.
    unverified = models.JSONField(_("values still to verify"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.CharField(max_length=1200, editable=False, db_index=True)
    sector_key = models.CharField(max_length=200, editable=False, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProcedureQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative procedure")
        verbose_name_plural = _("administrative procedures")
        ordering = ["sector", "name", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(processing_days__gte=1),
                                   name="procedure_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = search_key(
            " ".join([self.code, self.name, self.name_en, self.sector, self.sector_en]))[:1200]
        self.sector_key = search_key(self.sector)[:200]
        super().save(*args, **kwargs)

    @property
    def title(self) -> str:
        """The name in the active language (English when given, else Vietnamese)."""
        return self.name_en if _in_english() and self.name_en else self.name

    @property
    def sector_title(self) -> str:
        """The sector in the active language."""
        return self.sector_en if _in_english() and self.sector_en else self.sector

    @property
    def fully_online(self) -> bool:
        return self.online == OnlineLevel.FULLY


class ProcedureComponent(models.Model):
    """A paper or file an applicant supplies, and whether data the state holds replaces it."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="components",
                                  verbose_name=_("procedure"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=500)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    form_file = models.CharField(_("blank form (file name)"), max_length=200, blank=True)
    data_source = models.CharField(
        _("replaceable by data held in"), max_length=24, choices=DataSource.choices, blank=True)

    class Meta:
        verbose_name = _("procedure component")
        verbose_name_plural = _("procedure components")
        ordering = ["procedure", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "order"], name="component_order_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def replaceable(self) -> bool:
        return bool(self.data_source)
