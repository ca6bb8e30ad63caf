from django.contrib import admin

from cityhall.workflow.models import CalendarException, Transition, WorkflowDefinition


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "title", "source", "loaded_at"]
    readonly_fields = ["name", "version", "title", "spec", "source", "sha256", "loaded_at"]

    def has_add_permission(self, request: object) -> bool:
        return False  # definitions come from the YAML files in the repository


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ["case_type", "case_id", "seq", "action", "from_state", "to_state",
                    "actor_label", "at"]
    list_filter = ["case_type", "action"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
