from django.contrib import admin

from cityhall.notifications.models import Notification, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "subject", "created_at", "read_at"]
    list_filter = ["read_at"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["channel", "address", "subject", "status", "attempts", "next_attempt_at"]
    list_filter = ["channel", "status"]
