"""The organisation registry: the city, its departments, commune-level units and below."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cityhall.core.text import search_key
from cityhall.orgunits.geo import BadGeometry, area_shape, bbox

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("province/city")
    DEPARTMENT = "department", _("department or agency")
    WARD = "ward", _("ward (phường)")
    COMMUNE = "commune", _("commune (xã)")
    SPECIAL_ZONE = "special_zone", _("special zone (đặc khu)")
    NEIGHBOURHOOD = "neighbourhood", _("neighbourhood (khu phố/ấp)")
    DIVISION = "division", _("internal division")
    DISTRICT = "district", _("district (before 1 July 2025)")


COMMUNE_LEVEL = (UnitKind.WARD, UnitKind.COMMUNE, UnitKind.SPECIAL_ZONE)
_BBOX_FIELDS = ("bbox_west", "bbox_south", "bbox_east", "bbox_north")


class UnitQuerySet(models.QuerySet["Unit"]):
    """Reads of the registry, named for what they select."""

    def active_on(self, day: dt.date | None = None) -> UnitQuerySet:
        """Units valid on `day` (today when omitted)."""
        day = day or timezone.localdate()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )

    def commune_level(self) -> UnitQuerySet:
        """Wards, communes and special zones."""
        return self.filter(kind__in=COMMUNE_LEVEL)

    def subtree_of(self, unit: Unit) -> UnitQuerySet:
        """The unit and every unit below it."""
        return self.filter(path__startswith=unit.path)

    def search(self, q: str) -> UnitQuerySet:
        """Units whose name matches `q`, ignoring case and diacritics."""
        key = search_key(q)
        if not key:
            return self
        return self.filter(search_name__contains=key)

    def around_point(self, lat: float, lon: float) -> UnitQuerySet:
        """Units whose boundary's bounding box holds the point (a coarse, indexable filter)."""
        return self.filter(bbox_south__lte=lat, bbox_north__gte=lat,
                           bbox_west__lte=lon, bbox_east__gte=lon)

    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> UnitQuerySet:
        """The registry is public information: every unit is visible to everyone."""
        return self.all()


class Unit(models.Model):
    """A unit of government: the city, a department, a ward, a neighbourhood, a division."""

    code = models.CharField(
        _("administrative code"), max_length=32, db_index=True,
        help_text=_("National administrative code (79, 26740...) or a local code."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    search_name = models.CharField(_("search key"), max_length=400, editable=False, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("parent"),
    )
    # Materialised path of codes from the root ("79/26740/"), so a subtree is one prefix query.
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    electronic_id = models.CharField(
        _("electronic identification code"), max_length=32, blank=True, db_index=True,
        help_text=_("Decision 20/2020/QĐ-TTg code, e.g. 000.00.00.H29; empty when unknown."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    latitude = models.FloatField(_("centre latitude"), null=True, blank=True)
    longitude = models.FloatField(_("centre longitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    boundary = models.JSONField(
        _("boundary (GeoJSON geometry)"), null=True, blank=True,
        help_text=_("Loaded by `cityhall import_boundaries`; used for point-in-polygon."),
    )
    # Where the boundary came from, shown on the maps and in the API beside it.
    boundary_source = models.CharField(_("boundary source"), max_length=255, blank=True)
    boundary_licence = models.CharField(_("boundary licence"), max_length=120, blank=True)
    boundary_approximate = models.BooleanField(
        _("boundary is approximate"), default=False,
        help_text=_("Set when the boundary is known to differ from the legal one."),
    )
    boundary_note = models.CharField(_("why the boundary is approximate"), max_length=255,
                                     blank=True)
    # The boundary's bounding box (degrees): the database's coarse filter for a point.
    bbox_west = models.FloatField(null=True, blank=True, editable=False)
    bbox_south = models.FloatField(null=True, blank=True, editable=False)
    bbox_east = models.FloatField(null=True, blank=True, editable=False)
    bbox_north = models.FloatField(null=True, blank=True, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)
    # Set when a person links, corrects or removes this unit's successors: the registry
    # loader then leaves them as that person left them (see services.load_registry).
    successions_by_hand = models.BooleanField(
        _("successors set by hand"), default=False,
        help_text=_("The registry loader no longer rewrites this unit's successors."),
    )
    successors = models.ManyToManyField(
        "self", symmetrical=False, through="UnitSuccession", related_name="predecessors",
        through_fields=("predecessor", "successor"), blank=True,
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        # New units often reuse a predecessor's code (Phường Sài Gòn took Bến Nghé's), so a
        # code is unique among open-ended units only; ended units may share it.
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="unique_open_unit_code"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = search_key(f"{self.name} {self.short_name} {self.code}")
        self.path = f"{self.parent.path if self.parent else ''}{self.code}/"
        self._set_bbox()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "boundary" in update_fields:
            kwargs["update_fields"] = {*update_fields, *_BBOX_FIELDS}
        super().save(*args, **kwargs)

    def _set_bbox(self) -> None:
        box: tuple[float | None, ...] = (None, None, None, None)
        if self.boundary is not None:
            with contextlib.suppress(BadGeometry):
                box = bbox(area_shape(self.boundary))
        self.bbox_west, self.bbox_south, self.bbox_east, self.bbox_north = box

    @property
    def local_name(self) -> str:
        """The name in the active language: 'Sài Gòn Ward' in English, else 'Phường Sài Gòn'."""
        english = (get_language() or "vi").startswith("en")
        return (self.name_en if english else "") or self.name

    @property
    def is_commune_level(self) -> bool:
        return self.kind in COMMUNE_LEVEL

    def is_active_on(self, day: dt.date | None = None) -> bool:
        day = day or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )


class UnitSuccession(models.Model):
    """A link from an ended unit to a unit that took over (part of) its territory and work."""

    predecessor = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    effective_on = models.DateField(_("effective on"))
    # True when the successor is where the predecessor's open work goes (one per predecessor).
    is_primary = models.BooleanField(_("takes over open work"), default=False)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("succession")
        verbose_name_plural = _("successions")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="unique_unit_succession"
            )
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} -> {self.successor} ({self.effective_on})"

    @property
    def note_display(self) -> str:
        """The note in the reader's language: the loader's keywords in words, others as typed."""
        known = SUCCESSION_NOTES.get(self.note)
        return str(known) if known is not None else self.note


#: Notes the registry loader writes as keywords (`sources.py`), in words for people.
SUCCESSION_NOTES = {
    "split": _("its territory was divided between several units"),
}
