"""Notices to people: the in-app bell, and the outbox of messages for other channels."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: object) -> NotificationQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A notice shown in the recipient's bell until read."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    subject_ref = models.CharField(max_length=120, blank=True, help_text=_("type:id of the thing"))
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.subject}"


class ContactPoint(models.Model):
    """A phone number or e-mail address given without an account (in a report's contact).

    Only a keyed hash of the address is kept (`notifications.caps.digest`), enough to count
    the messages sent to it and to match it again; the address itself lives only in the
    outbox rows that still have to reach it. Until its owner confirms it, few messages a
    day go to it (docs/security.md, "Limits").
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("e-mail address")
        PHONE = "phone", _("phone number")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    refused_at = models.DateTimeField(_("refused"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact address")
        verbose_name_plural = _("contact addresses")
        constraints = [models.UniqueConstraint(fields=["kind", "digest"],
                                               name="unique_contact_point")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.digest[:12]}…"


class OutboxMessage(models.Model):
    """A message to deliver after commit, with retries: nothing is lost while a gateway is down."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")
        ZALO = "zalo", _("Zalo")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        # Over the cap of an address that has not confirmed: the worker skips it; sent if
        # the address is confirmed in time, else dropped.
        HELD = "held", _("held")
        DROPPED = "dropped", _("dropped")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    address = models.CharField(max_length=254)
    # Messages to someone without an account: the address they go to, to count and cap them
    # (indexed with created_at below).
    contact_point = models.ForeignKey(ContactPoint, on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="messages", db_index=False)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    subject_ref = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["next_attempt_at", "pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
                   models.Index(fields=["contact_point", "created_at"],
                                name="outbox_contact_recent")]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}: {self.subject}"
