"""Admin for people and access; changes go through the account services so they are audited."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from cityhall.accounts import services
from cityhall.accounts.models import ApiKey, ApiToken, Membership, User
from cityhall.accounts.web import signed_in_user

# Roles are memberships (below); Django's groups are not used, so they are not offered.
admin.site.unregister(Group)

# Django builds the password form with (user, data) only; the admin who is changing the
# password reaches the form's save through this, set for the length of that one request.
_acting_admin: ContextVar[User] = ContextVar("acting_admin")


@contextmanager
def _acting(actor: User) -> Iterator[None]:
    token = _acting_admin.set(actor)
    try:
        yield
    finally:
        _acting_admin.reset(token)


class PasswordForm(AdminPasswordChangeForm):
    """Django's admin password form, saved through `services.set_password` (audited)."""

    def save(self, commit: bool = True) -> User:
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] \
            else None
        return services.set_password(actor=_acting_admin.get(), user=self.user, password=password)


class AccountForm(UserChangeForm):
    """The change form refuses, as the service would, a business account without a tax code."""

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if cleaned is not None and not self.errors:
            try:
                services.clean_kind_and_tax_code(cleaned.get("kind", ""),
                                                 cleaned.get("tax_code", ""))
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return cleaned


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = services.MEMBERSHIP_FIELDS
    autocomplete_fields = ("unit",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People: created, changed and given roles through the account services, all audited."""

    form = AccountForm
    change_password_form = PasswordForm
    list_display = ("username", "full_name", "kind", "is_active", "is_superuser")
    list_filter = ("kind", "is_active", "is_superuser")
    search_fields = ("username", "full_name", "business_name", "tax_code")
    inlines = [MembershipInline]
    # Roles are memberships; Django's groups and permissions are not used, and `is_staff`
    # follows `is_superuser` (only superusers use this admin), so none of them is shown.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_superuser")}),
        (_("Cityhall"), {"fields": ("kind", "full_name", "phone", "national_id", "tax_code",
                                    "business_name", "language")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # People are deactivated (is_active), not deleted: the audit trail and the log of
        # reads of personal data keep pointing at them.
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor = signed_in_user(request)
        if change:
            # The form has already written its values onto `obj`: the service starts from
            # the stored row, so that it sees (and audits) what changed.
            changes = {name: form.cleaned_data[name] for name in form.changed_data
                       if name in services.USER_FIELDS}
            saved = services.update_user(actor=actor, user=User.objects.get(pk=obj.pk),
                                         **changes)
        else:
            usable = form.cleaned_data.get("set_usable_password", True)
            saved = services.create_user(
                actor=actor, username=form.cleaned_data["username"],
                password=form.cleaned_data.get("password1") if usable else None,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Each membership row goes to grant, change, end or delete_membership."""
        actor = signed_in_user(request)
        user = form.instance
        # What Django's admin reads afterwards for its own change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms if formset.can_delete else []
        with transaction.atomic():
            for row in formset.forms:
                if row in deleted:
                    if row.instance.pk is not None:
                        held = Membership.objects.get(pk=row.instance.pk)
                        services.delete_membership(actor=actor, membership=held)
                        formset.deleted_objects.append(held)
                    continue
                if not row.has_changed():
                    continue
                values = {name: row.cleaned_data[name] for name in services.MEMBERSHIP_FIELDS}
                if row.instance.pk is None:
                    formset.new_objects.append(
                        services.grant_membership(actor=actor, user=user, **values))
                    continue
                held = Membership.objects.get(pk=row.instance.pk)
                changed = {name: values[name] for name in row.changed_data if name in values}
                if set(changed) == {"valid_to"} and changed["valid_to"] is not None:
                    held = services.end_membership(actor=actor, membership=held,
                                                   on=changed["valid_to"])
                else:
                    held = services.change_membership(actor=actor, membership=held, **changed)
                formset.changed_objects.append((held, list(changed)))

    def user_change_password(self, request: HttpRequest, id: str,
                             form_url: str = "") -> HttpResponse:
        with _acting(signed_in_user(request)):
            return super().user_change_password(request, id, form_url)


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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A key is switched off (revoked), never deleted: the audit trail names it.
        return False

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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A token is revoked, never deleted: the audit trail names it.
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        actor = signed_in_user(request)
        for token in queryset:
            services.revoke_token(actor=actor, token=token)
