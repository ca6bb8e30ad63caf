"""Admin for people and access; changes go through the account services so they are audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cityhall.accounts import services
from cityhall.accounts.models import ApiKey, ApiToken, Membership, User
from cityhall.accounts.web import signed_in_user
from cityhall.core import audit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("unit", "role", "title", "valid_from", "valid_to")
    autocomplete_fields = ("unit",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "kind", "is_active", "is_superuser")
    list_filter = ("kind", "is_active", "is_superuser")
    search_fields = ("username", "full_name", "business_name", "tax_code")
    inlines = [MembershipInline]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Cityhall"), {"fields": ("kind", "phone", "national_id", "tax_code",
                                    "business_name", "language")}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        # The admin's own form saves the user; the audit entry goes in the same transaction.
        actor = signed_in_user(request)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            fields = sorted(set(form.changed_data) - {"password", "password1", "password2"})
            masked = {f: [None, "***"] for f in fields}
            audit.record(actor=actor, action="user.change" if change else "user.create",
                         obj=obj, changes=masked)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: Any,
                     change: bool) -> None:
        actor = signed_in_user(request)
        with transaction.atomic():
            instances = formset.save(commit=False)
            for deleted in formset.deleted_objects:
                audit.record(actor=actor, action="membership.delete", obj=deleted,
                             unit=deleted.unit)
                deleted.delete()
            for membership in instances:
                is_new = membership.pk is None
                membership.save()
                audit.record(
                    actor=actor,
                    action="membership.grant" if is_new else "membership.change",
                    obj=membership, unit=membership.unit,
                    changes={"role": [None, membership.role],
                             "valid_to": [None, str(membership.valid_to or "")]},
                )
            formset.save_m2m()


class ApiKeyForm(ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "owner_unit", "scopes", "is_active")

    def clean_scopes(self) -> list[str]:
        """Refuse unknown scopes on the form rather than in the service."""
        value = self.cleaned_data.get("scopes") or []
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise ValidationError(_('Write the scopes as a JSON list: ["open311:write"].'))
        try:
            return services.clean_scopes(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "owner_unit", "scope_list", "is_active", "last_used_at", "prefix")
    list_filter = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = ("name", "owner_unit", "scopes", "is_active", "prefix", "created_at",
              "last_used_at")
    autocomplete_fields = ("owner_unit",)
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        return (*self.readonly_fields, "name") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiKey, form: ModelForm, change: bool) -> None:
        actor = signed_in_user(request)
        if change:
            services.update_api_key(actor=actor, key=obj, scopes=obj.scopes,
                                    owner_unit=obj.owner_unit, is_active=obj.is_active)
            return
        key, raw = services.create_api_key(
            actor=actor, name=obj.name, scopes=obj.scopes, owner_unit=obj.owner_unit
        )
        obj.pk = key.pk
        messages.warning(
            request,
            _("The key's secret, shown only this once: %(secret)s") % {"secret": raw},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        actor = signed_in_user(request)
        for key in queryset:
            services.revoke_api_key(actor=actor, key=key)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued by `cityhall create_token`, which shows the secret once.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        actor = signed_in_user(request)
        for token in queryset:
            services.revoke_token(actor=actor, token=token)
