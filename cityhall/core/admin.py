"""Read-only admin for the audit trail and the personal-data read log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cityhall.core.models import AuditEntry, PersonalDataRead


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that nobody may add, change or delete, not even a superuser."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_repr", "unit")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_repr", "object_id", "request_id")
    date_hierarchy = "at"
    list_select_related = ("unit",)


@admin.register(PersonalDataRead)
class PersonalDataReadAdmin(ReadOnlyAdmin):
    list_display = ("at", "reader", "reader_role", "reader_unit", "subject", "object_type",
                    "object_id", "purpose")
    list_filter = ("object_type", "reader_role")
    search_fields = ("reader__username", "subject__username", "object_id", "purpose")
    date_hierarchy = "at"
    list_select_related = ("reader", "subject", "reader_unit")
