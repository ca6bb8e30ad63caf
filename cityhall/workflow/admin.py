"""Admin for the workflow app: calendar exceptions written by the services; the rest read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from cityhall.core.admin import ReadOnlyAdmin
from cityhall.core.audit import SYSTEM, Actor
from cityhall.workflow import services
from cityhall.workflow.models import CalendarException, Transition, WorkflowDefinition


def _actor(request: HttpRequest) -> Actor:
    # The admin site lets only signed-in staff in; SYSTEM is for a request built by hand.
    return request.user if request.user.is_authenticated else SYSTEM


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    """Days off and make-up working days: each add, change and delete is audited."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: CalendarException, form: Any,
                   change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in services.CALENDAR_DAY_FIELDS}
        if change:
            # The form has written its values onto `obj`: start from the stored row.
            saved = services.change_calendar_day(
                actor=_actor(request), day=CalendarException.objects.get(pk=obj.pk),
                **{name: values[name] for name in form.changed_data if name in values},
            )
        else:
            saved = services.add_calendar_day(actor=_actor(request), **values)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: CalendarException) -> None:
        services.remove_calendar_day(actor=_actor(request), day=obj)

    def delete_queryset(self, request: HttpRequest,
                        queryset: QuerySet[CalendarException]) -> None:
        with transaction.atomic():
            for day in queryset:
                services.remove_calendar_day(actor=_actor(request), day=day)


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(ReadOnlyAdmin):
    """Definitions come from the YAML files in the repository (`cityhall load_workflows`)."""

    list_display = ["name", "version", "title", "source", "loaded_at"]


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin):
    """The append-only history of every case."""

    list_display = ["case_type", "case_id", "seq", "action", "from_state", "to_state",
                    "actor_label", "at"]
    list_filter = ["case_type", "action"]
