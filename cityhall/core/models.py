"""The audit trail and the log of staff reads of personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.scoping import ScopedQuerySet


class AuditEntryQuerySet(ScopedQuerySet["AuditEntry"]):
    """Reads of the audit trail: a unit's leaders see its entries, unit-less ones the city's."""


class PersonalDataReadQuerySet(ScopedQuerySet["PersonalDataRead"]):
    """Reads of the personal-data read log, scoped by the unit the reader acted in."""

    unit_field = "reader_unit"


class AuditEntry(models.Model):
    """One change made through a service function: who, when, what, before and after."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("user"),
    )
    actor_api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("API key"),
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    # The unit whose scope the change belongs to, so leaders see their units' trail.
    unit = models.ForeignKey(
        "orgunits.Unit", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("unit"),
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


class PersonalDataRead(models.Model):
    """A member of staff saw a person's personal data (name, phone, email, ID number)."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("reader"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="personal_data_reads", verbose_name=_("data subject"),
    )
    # The capacity the reader acted in, shown to the data subject ("who read it, as what").
    reader_unit = models.ForeignKey(
        "orgunits.Unit", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("reader's unit"),
    )
    reader_role = models.CharField(_("reader's role"), max_length=24, blank=True)
    # Where the data was shown: a report, a dossier, a user record...
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64)
    fields = models.JSONField(_("fields"), default=list)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = PersonalDataReadQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal data read")
        verbose_name_plural = _("personal data reads")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.reader_id} {self.object_type}:{self.object_id}"
