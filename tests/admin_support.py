"""Shared helpers for the admin tests: a signed-in superuser, and a page's forms as POST data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.test import Client

from tests.factories import make_user

if TYPE_CHECKING:
    from tests.factories import Response


def admin_client(username: str = "root") -> Client:
    """A client signed in as a superuser made through the account service."""
    client = Client()
    client.force_login(make_user(username, is_superuser=True))
    return client


def _add_form(data: dict[str, Any], form: forms.BaseForm) -> None:
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        names = [bound.html_name]
        if field.show_hidden_initial:
            # A field with a callable default also posts its initial value, as the browser does.
            names.append(bound.html_initial_name)
        value = bound.value()
        for key in names:
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif value is None:
                data[key] = ""
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)


def form_data(page: Response) -> dict[str, Any]:
    """What submitting an admin change page unchanged would post: its form and inline rows."""
    context = page.context
    assert context is not None
    data: dict[str, Any] = {}
    _add_form(data, context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for row in formset.forms:
            _add_form(data, row)
    return data
