"""Admin for the registry: units and the successions between them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import SYSTEM, diff, record
from cityhall.orgunits.models import Unit, UnitSuccession
from cityhall.orgunits.services import refresh_paths, snapshot


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

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        # The admin form has already validated the fields; keep the audit trail complete.
        before = snapshot(Unit.objects.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        changes = diff(before, snapshot(obj))
        if change and ("code" in changes or "parent" in changes):
            refresh_paths(obj)
        actor = request.user if request.user.is_authenticated else SYSTEM
        record(
            actor=actor,
            action="orgunits.update_unit" if change else "orgunits.create_unit",
            obj=obj, changes=changes, unit=obj,
        )


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(admin.ModelAdmin):
    list_display = ("predecessor", "successor", "effective_on", "is_primary", "note")
    list_filter = ("effective_on", "is_primary")
    search_fields = ("predecessor__name", "predecessor__code", "successor__name",
                     "successor__code")
    list_select_related = ("predecessor", "successor")
    raw_id_fields = ("predecessor", "successor")
