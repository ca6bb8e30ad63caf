"""Notices and outbox messages in the admin: shown, never written (the services and the
worker write them)."""

from django.contrib import admin

from cityhall.core.admin import ReadOnlyAdmin
from cityhall.notifications.models import ContactPoint, Notification, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "subject", "created_at", "read_at"]
    list_filter = ["read_at"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["channel", "address", "subject", "status", "attempts", "next_attempt_at"]
    list_filter = ["channel", "status"]


@admin.register(ContactPoint)
class ContactPointAdmin(ReadOnlyAdmin):
    """Addresses given without an account (their owner answers through the link they got)."""

    list_display = ["kind", "digest", "created_at", "confirmed_at", "refused_at"]
    list_filter = ["kind"]
    search_fields = ["digest"]
