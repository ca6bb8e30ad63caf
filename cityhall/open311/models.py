"""Open311 requests accepted for later filing (the queued intake, GeoReport v2 tokens)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Intake(models.Model):
    """A partner's POST accepted and checked, waiting for the worker to file it as a report.

    The pending rows are the queue: workers claim them directly (`open311.intake`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        DONE = "done", _("filed")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("failed")

    # The idempotency constraint leads with the key: no index of its own.
    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.PROTECT, related_name="+",
                                db_index=False, verbose_name=_("partner key"))
    idempotency_key = models.CharField(max_length=100, blank=True)
    # The checked submission: service code, place, description, contact, attributes, link.
    # Personal data (the contact) lives here only until the report is filed.
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    report = models.ForeignKey("reports.Report", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # When a worker may take it (later after a failed attempt: the retry's backoff).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 request waiting to be filed")
        verbose_name_plural = _("Open311 requests waiting to be filed")
        constraints = [
            models.UniqueConstraint(fields=["api_key", "idempotency_key"],
                                    condition=~Q(idempotency_key=""),
                                    name="open311_intake_idempotency"),
        ]
        indexes = [
            # The queue itself: workers claim the oldest due pending rows through it.
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="pending"),
                         name="open311_intake_due"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} ({self.status})"
