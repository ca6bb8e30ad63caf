"""Forms of the report pages: the report form (with the category's extra fields) and actions."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from cityhall.core.errors import Common, ErrorCode
from cityhall.reports.errors import ReportCode
from cityhall.reports.models import MAX_DESCRIPTION, Category, attribute_label, value_name
from cityhall.reports.services import ReportError
from cityhall.workflow.engine import WorkflowCode

#: Which form field shows a service refusal, by error code (others go to the top of the form).
ERROR_FIELDS: dict[ErrorCode, str] = {
    ReportCode.UNKNOWN_CATEGORY: "category",
    ReportCode.BUSINESS_ACCOUNT_REQUIRED: "category",
    ReportCode.DESCRIPTION_REQUIRED: "description",
    ReportCode.DESCRIPTION_TOO_LONG: "description",
    ReportCode.INVALID_LOCATION: "address",
    ReportCode.PLACE_REQUIRED: "address",
    ReportCode.PLACE_OUTSIDE_CITY: "address",
    ReportCode.ANONYMOUS_NOT_ALLOWED: "anonymous",
    ReportCode.TOO_MANY_PHOTOS: "photos",
    ReportCode.PHOTO_TYPE: "photos",
    ReportCode.PHOTO_TOO_LARGE: "photos",
    ReportCode.PHOTO_TOO_MANY_PIXELS: "photos",
    ReportCode.PHOTO_INFECTED: "photos",
    ReportCode.PHOTO_SCAN_FAILED: "photos",
    ReportCode.REPLY_REQUIRED: "reply",
    ReportCode.REPLY_TOO_LONG: "reply",
    ReportCode.RESPONSIBLE_REQUIRED: "responsible",
    Common.COMMENT_REQUIRED: "comment",
    Common.INVALID_RATING: "rating",
    ReportCode.INVALID_TARGET: "to_unit",
    ReportCode.INVALID_ORIGINAL: "original",
    WorkflowCode.ASSIGNEE_OUT_OF_SCOPE: "assignee",
}
CONTACT_PREFIX = "contact_"
ATTRIBUTE_PREFIX = "attr_"


def local(obj: Any, field: str = "name") -> str:
    """An object's (or a dict's) name in the page's language; Vietnamese is the fallback."""
    def read(name: str) -> Any:
        return obj.get(name, "") if isinstance(obj, dict) else getattr(obj, name, "")

    if (get_language() or "vi").startswith("en"):
        english = read(f"{field}_en")
        if english:
            return str(english)
    return str(read(field))


def category_choices(categories: Iterable[Category]) -> list[tuple[str, Any]]:
    """Categories grouped by their group, for a select with option groups."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for category in categories:
        groups.setdefault(local(category, "group"), []).append((category.code, local(category)))
    return [("", _("Choose a category")), *groups.items()]


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own copy of its choice field `name`, whose choices are set per request."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    return field


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; their content is checked by the reports service."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [f for f in files if f]


class ReportForm(forms.Form):
    """A report: category, description, place (pin or address), extra fields, photos, contact."""

    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(
        label=_("What is the problem?"), max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput,
                                min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput,
                                 min_value=-180, max_value=180)
    address = forms.CharField(
        label=_("Address"), required=False, max_length=500,
        help_text=_("A new-style address (Phường Thủ Đức) or one from before 1 July 2025 "
                    "(Phường Thảo Điền, Quận 2). Not needed when you place a pin on the map."),
    )
    photos = PhotosField(
        label=_("Photos"), required=False,
    )
    contact_name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    contact_email = forms.EmailField(label=_("E-mail"), required=False)
    anonymous = forms.BooleanField(
        label=_("Report anonymously (no contact kept)"), required=False,
        help_text=_("Only where the category allows it. You can still follow the report "
                    "with its private link."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, categories: Iterable[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {c.code: c for c in categories}
        # The limits are said up front, from the settings and constants that enforce them.
        self.fields["description"].help_text = gettext(
            "Describe what you see and since when (at most %(n)s characters).") % {
            "n": number_format(MAX_DESCRIPTION, force_grouping=True)}
        self.fields["photos"].help_text = gettext(
            "Up to %(count)s photos, at most %(size)s each: JPEG, PNG or WebP. Location data "
            "in photos is removed.") % {
            "count": settings.CITYHALL_REPORTS_PHOTOS_MAX,
            "size": filesizeformat(settings.CITYHALL_REPORTS_PHOTO_MAX_BYTES)}
        choice_field(self, "category").choices = category_choices(self.categories.values())
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", secrets.token_urlsafe(18))
        self.chosen = self.categories.get(str(self.data.get("category") or
                                              self.initial.get("category") or ""))
        if self.chosen is not None:
            for spec in self.chosen.attribute_specs():
                self.fields[ATTRIBUTE_PREFIX + spec["code"]] = attribute_field(spec)

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(ATTRIBUTE_PREFIX)]

    def contact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(CONTACT_PREFIX)]

    def attributes(self) -> dict[str, Any]:
        """The extra fields' values, keyed by their codes, empty ones left out."""
        kinds = {s["code"]: s["datatype"] for s in self.chosen.attribute_specs()} \
            if self.chosen else {}
        values = {}
        for name, value in self.cleaned_data.items():
            if name.startswith(ATTRIBUTE_PREFIX) and value not in (None, "", []):
                code = name[len(ATTRIBUTE_PREFIX):]
                values[code] = with_zone(value) if kinds.get(code) == "datetime" else value
        return values

    def add_service_error(self, exc: ReportError) -> None:
        """Show a refusal of the reports service on the field it concerns."""
        add_service_error(self, exc)


def add_service_error(form: forms.Form, exc: ReportError) -> None:
    """Put a service refusal on the field it concerns, or at the top of the form."""
    if isinstance(exc.detail, dict):
        for key, message in exc.detail.items():
            for name in (f"{ATTRIBUTE_PREFIX}{key}", f"{CONTACT_PREFIX}{key}", str(key)):
                if name in form.fields:
                    form.add_error(name, str(message))
                    break
            else:
                form.add_error(None, f"{key}: {message}")
        return
    field_name = ERROR_FIELDS.get(exc.code)
    form.add_error(field_name if field_name in form.fields else None, str(exc.detail))


def with_zone(text: str) -> str:
    """A date and time from the browser, in the site's zone when it carries none."""
    moment = parse_datetime(str(text))
    if moment is None:
        return str(text)  # the service says what is wrong with it
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.isoformat()


def attribute_field(spec: dict[str, Any]) -> forms.Field:
    """A form field for one extra field of a category (the Open311 attribute shape)."""
    label = attribute_label(spec)
    required = bool(spec.get("required"))
    kind = spec["datatype"]
    common: dict[str, Any] = {"label": label, "required": required}
    choices = [(str(v["key"]), value_name(v)) for v in spec.get("values", [])]
    if kind == "number":
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                               max_length=64, **common)
    if kind == "datetime":
        # The service wants a zone; the browser's local time is Ho Chi Minh City time here.
        return forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                               max_length=64, **common)
    if kind == "text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, **common)
    if kind == "singlevaluelist":
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if kind == "multivaluelist":
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple,
                                         **common)
    return forms.CharField(max_length=200, **common)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"), coerce=int, widget=forms.RadioSelect,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        help_text=_("5 is very satisfied, 1 not satisfied at all."),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(forms.Form):
    comment = forms.CharField(label=_("Why is the problem still there?"),
                              max_length=MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 3}))


def attribute_rows(category: Category, values: dict[str, Any]) -> list[tuple[str, str]]:
    """A report's extra-field values in words, labelled as the category names them."""
    rows = []
    for spec in category.attribute_specs():
        value = values.get(spec["code"])
        if value in (None, "", []):
            continue
        names = {str(v["key"]): value_name(v) for v in spec.get("values", [])}
        items = value if isinstance(value, list) else [value]
        rows.append((attribute_label(spec),
                     ", ".join(names.get(str(v), str(v)) for v in items)))
    return rows
