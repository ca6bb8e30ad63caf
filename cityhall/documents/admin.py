"""The documents' admin: the directory of edXML peers (the key is write-only), and the
messages exchanged, read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from cityhall.documents.models import Arrival, Dispatch, Peer
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
