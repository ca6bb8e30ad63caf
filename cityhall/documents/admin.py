"""The documents' admin: the directory of edXML peers (the key is write-only), the key store
of signing keys (registered and retired through `keystore`, audited), and the messages
exchanged, read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cityhall.documents import keystore
from cityhall.documents.errors import DocumentError
from cityhall.documents.models import Arrival, Dispatch, Peer, SigningKey
from cityhall.documents.peers import add_peer


class PeerForm(forms.ModelForm):
    #: Typed in, never shown back: the shared key is a secret.
    key = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False,
                          max_length=200, help_text="Leave blank to keep the current key.")

    class Meta:
        model = Peer
        fields = ["code", "name", "url", "key", "active"]

    def clean_key(self) -> str:
        key = self.cleaned_data.get("key", "")
        if not key and self.instance.pk:
            return self.instance.key
        if not key:
            raise forms.ValidationError("A new peer needs its shared key.")
        return key


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin[Peer]):
    form = PeerForm
    list_display = ("code", "name", "url", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("code", "name", "url")

    def save_model(self, request: HttpRequest, obj: Peer, form: Any, change: bool) -> None:
        # Through the service, for its audit entry (the key never in it).
        saved, _created = add_peer(
            actor=request.user,  # type: ignore[arg-type]  # the admin is signed in
            code=obj.code, url=obj.url, key=obj.key, name=obj.name, active=obj.active)
        obj.pk = saved.pk


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Dispatch)
class DispatchAdmin(ReadOnly):
    list_display = ("document", "recipient_code", "status", "status_at", "message_id")
    search_fields = ("recipient_code", "message_id", "document_key")


@admin.register(Arrival)
class ArrivalAdmin(ReadOnly):
    list_display = ("unit", "sender_code", "notation", "state", "signatures_valid",
                    "received_at")
    list_filter = ("state", "signatures_valid")
    search_fields = ("sender_code", "notation", "message_id", "document_key")
    exclude = ("envelope",)


def _form_errors(form: forms.BaseForm, exc: DocumentError) -> None:
    """A service's refusal as the form's errors, on its fields where it names them."""
    detail = exc.detail if isinstance(exc.detail, dict) else {None: exc.detail}
    for name, text in detail.items():
        form.add_error(name if name in form.fields else None, str(text))


class SigningKeyAddForm(forms.ModelForm):
    """A key to register: where it is, where its secret is (never the secret), its image.
    Registered when the form is checked, so that a refusal shows on the form."""

    image_file = forms.FileField(label=_("signature or seal image (PNG)"), required=False)
    replace = forms.BooleanField(label=_("retire the holder's key in use"), required=False)

    class Meta:
        model = SigningKey
        fields = ["user", "unit", "storage", "pkcs12_path", "pkcs11_module", "token_label",
                  "key_label", "key_id", "secret_env", "secret_file"]

    actor: Any = None
    registered: SigningKey | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        upload = data.get("image_file")
        key_in = keystore.KeyIn(
            storage=data.get("storage", ""), pkcs12_path=data.get("pkcs12_path", ""),
            module=data.get("pkcs11_module", ""), token_label=data.get("token_label", ""),
            key_label=data.get("key_label", ""), key_id=data.get("key_id", ""),
            secret_env=data.get("secret_env", ""), secret_file=data.get("secret_file", ""),
            image_png=upload.read() if upload else None)
        try:
            self.registered = keystore.register_key(
                actor=self.actor, key_in=key_in, user=data.get("user"), unit=data.get("unit"),
                replace=bool(data.get("replace")))
        except DocumentError as exc:
            _form_errors(self, exc)
        return data


class SigningKeyRetireForm(forms.ModelForm):
    """Retire a key in use (or mark it revoked), with the reason."""

    reason = forms.CharField(label=_("why retired"), max_length=1000)
    revoked = forms.BooleanField(label=_("revoked (compromised, or revoked by its CA)"),
                                 required=False)

    class Meta:
        model = SigningKey
        fields: list[str] = []

    actor: Any = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            keystore.retire_key(actor=self.actor, key=self.instance, reason=data["reason"],
                                revoked=bool(data.get("revoked")))
        except DocumentError as exc:
            _form_errors(self, exc)
        return data


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin[SigningKey]):
    """The key store: add a key (checked, audited), or retire one; nothing else changes."""

    list_display = ("pk", "holder", "common_name", "serial", "not_after", "storage", "status")
    list_filter = ("status", "storage")
    search_fields = ("common_name", "serial", "fingerprint", "user__username", "unit__code")
    list_select_related = ("user", "unit")
    readonly_fields = ("user", "unit", "storage", "pkcs12_path", "pkcs11_module",
                       "token_label", "key_label", "key_id", "secret_env", "secret_file",
                       "subject", "issuer", "common_name", "serial", "not_before",
                       "not_after", "fingerprint", "certificate", "status", "created_at",
                       "created_by", "retired_at", "retired_by", "retire_reason")

    def get_readonly_fields(self, request: HttpRequest, obj: SigningKey | None = None
                            ) -> Any:
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: SigningKey | None = None) -> Any:
        if obj is None:
            return [*SigningKeyAddForm.Meta.fields, "image_file", "replace"]
        extra = ["reason", "revoked"] if obj.status == SigningKey.Status.ACTIVE else []
        return [*self.readonly_fields, *extra]

    def get_form(self, request: HttpRequest, obj: SigningKey | None = None,
                 change: bool = False, **kwargs: Any) -> Any:
        base = SigningKeyAddForm if obj is None else SigningKeyRetireForm
        # The signed-in admin is the actor of the service the form calls.
        form = type(base.__name__, (base,), {"actor": request.user})
        kwargs["form"] = form
        kwargs["fields"] = None if obj is None else []
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.status == SigningKey.Status.ACTIVE

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a key that signed documents stays on record: retire it

    def save_model(self, request: HttpRequest, obj: SigningKey, form: Any,
                   change: bool) -> None:
        # The form's service call wrote it (with its audit entry); the admin only logs it.
        registered = getattr(form, "registered", None)
        if registered is not None:
            obj.__dict__.update(registered.__dict__)
