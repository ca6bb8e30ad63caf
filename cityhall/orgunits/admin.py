"""Admin for the registry: units and the successions between them, written by the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import SYSTEM, Actor
from cityhall.orgunits import services
from cityhall.orgunits.models import Unit, UnitSuccession


def _actor(request: HttpRequest) -> Actor:
    # The admin site lets only signed-in staff in; SYSTEM is for a request built by hand.
    return request.user if request.user.is_authenticated else SYSTEM


def _save_link(actor: Actor, form: Any, *, predecessor: Unit | None = None) -> UnitSuccession:
    """Create or correct the succession a form holds, through the services."""
    fields = [name for name in services.SUCCESSION_FIELDS if name in form.cleaned_data]
    values = {name: form.cleaned_data[name] for name in fields}
    if predecessor is not None:
        values["predecessor"] = predecessor
    if form.instance.pk is None:
        return services.link_successor(actor=actor, **values)
    # The form has written its values onto the instance: start from the stored row.
    stored = UnitSuccession.objects.select_related("predecessor", "successor").get(
        pk=form.instance.pk)
    return services.update_succession(
        actor=actor, succession=stored,
        **{name: values[name] for name in form.changed_data if name in values},
    )


class OpenEndedFilter(admin.SimpleListFilter):
    """Whether a unit is still open-ended or has ended."""

    title = _("valid to")
    parameter_name = "ended"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("open-ended")), ("yes", _("ended"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Unit]) -> QuerySet[Unit]:
        if self.value() == "no":
            return queryset.filter(valid_to__isnull=True)
        if self.value() == "yes":
            return queryset.filter(valid_to__isnull=False)
        return queryset


class SuccessionFormSet(BaseInlineFormSet):
    """Succession rows under a unit, with a readable form prefix."""

    @classmethod
    def get_default_prefix(cls) -> str:
        # The links' related_name is "+", which would leave the prefix empty ("-1-...").
        return "successions"


class SuccessorInline(admin.TabularInline):
    """The units that took over this one; rows are saved by `UnitAdmin.save_formset`."""

    model = UnitSuccession
    formset = SuccessionFormSet
    fk_name = "predecessor"
    extra = 0
    raw_id_fields = ("successor",)
    verbose_name = _("successor")
    verbose_name_plural = _("successors")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent", "electronic_id", "valid_from", "valid_to")
    list_filter = ("kind", OpenEndedFilter, "valid_to", "is_demo")
    search_fields = ("name", "short_name", "name_en", "code", "search_name", "electronic_id")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "search_name")
    inlines = (SuccessorInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Unit | None = None) -> Any:
        # Boundaries come from `cityhall import_boundaries`, not from typing GeoJSON here,
        # and their source, licence and approximation come with them.
        return (*self.readonly_fields, "boundary", "boundary_source", "boundary_licence",
                "boundary_approximate", "boundary_note")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Units are never deleted: they end (valid_to) and name their successors.
        return False

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS
                  if name in form.cleaned_data}
        if change:
            # The form has written its values onto `obj`: the service starts from the
            # stored row, so that it sees (and audits) what changed.
            saved = services.update_unit(
                actor=_actor(request), unit=Unit.objects.get(pk=obj.pk),
                **{name: values[name] for name in form.changed_data if name in values},
            )
        else:
            saved = services.create_unit(actor=_actor(request), **values)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Each successor row goes to link_successor, update_succession or unlink_successor."""
        actor = _actor(request)
        # What Django's admin reads afterwards for its own change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms if formset.can_delete else []
        with transaction.atomic():
            for row in formset.forms:
                if row in deleted:
                    if row.instance.pk is not None:
                        link = UnitSuccession.objects.get(pk=row.instance.pk)
                        services.unlink_successor(actor=actor, succession=link)
                        formset.deleted_objects.append(link)
                elif row.has_changed():
                    is_new = row.instance.pk is None
                    link = _save_link(actor, row, predecessor=form.instance)
                    if is_new:
                        formset.new_objects.append(link)
                    else:
                        formset.changed_objects.append((link, row.changed_data))


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(admin.ModelAdmin):
    list_display = ("predecessor", "successor", "effective_on", "is_primary", "note")
    list_filter = ("effective_on", "is_primary")
    search_fields = ("predecessor__name", "predecessor__code", "successor__name",
                     "successor__code")
    list_select_related = ("predecessor", "successor")
    raw_id_fields = ("predecessor", "successor")

    def save_model(self, request: HttpRequest, obj: UnitSuccession, form: Any,
                   change: bool) -> None:
        saved = _save_link(_actor(request), form)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: UnitSuccession) -> None:
        services.unlink_successor(actor=_actor(request), succession=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[UnitSuccession]) -> None:
        with transaction.atomic():
            for link in queryset.select_related("predecessor", "successor"):
                services.unlink_successor(actor=_actor(request), succession=link)
