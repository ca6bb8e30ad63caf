"""The documents' forms: an outgoing draft, an incoming document, giving one to handle."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cityhall.documents.errors import DocumentError
from cityhall.documents.models import Authority, DocumentType
from cityhall.orgunits.models import Unit


class ServiceErrors(forms.Form):
    """A form that shows a service refusal on its field, or at the top."""

    def add_service_error(self, exc: DocumentError) -> None:
        if isinstance(exc.detail, dict):
            for key, message in exc.detail.items():
                self.add_error(key if key in self.fields else None, str(message))
            return
        self.add_error(None, str(exc.detail))


def _types() -> list[tuple[str, str]]:
    return [(t.code, f"{t.name} ({t.abbreviation})" if t.abbreviation else t.name)
            for t in DocumentType.objects.filter(active=True)]


class UnitChoice(ServiceErrors):
    """A form whose `unit` is one of the units the user keeps documents for."""

    unit = forms.ChoiceField(label=_("Unit"))
    doc_type = forms.ChoiceField(label=_("Type"))

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [(u.code, u.name) for u in units]
        cast(forms.ChoiceField, self.fields["doc_type"]).choices = _types()


class DraftForm(UnitChoice):
    """An outgoing document's draft."""

    summary = forms.CharField(label=_("Summary"), max_length=1000,
                              help_text=_("\"Về việc ...\": what the document is about."))
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 10}),
                              required=False, max_length=100_000,
                              help_text=_("Paragraphs separated by an empty line."))
    drafting_unit = forms.CharField(
        label=_("Drafting unit abbreviation"), max_length=20, required=False,
        help_text=_("Required for a Công văn: its notation ends with it (UBND-VX)."))
    authority = forms.ChoiceField(label=_("Signing authority"), choices=Authority.choices,
                                  required=False)
    authority_for = forms.CharField(label=_("Signing for"), max_length=200, required=False,
                                    help_text=_("e.g. Ủy ban nhân dân, Chủ tịch"))
    signer_title = forms.CharField(label=_("Signer's title"), max_length=200, required=False)
    signer_name = forms.CharField(label=_("Signer's name"), max_length=200, required=False)
    recipients = forms.CharField(label=_("Recipients"), widget=forms.Textarea(attrs={"rows": 4}),
                                 required=False, max_length=30_000,
                                 help_text=_("One a line; \"Lưu: VT\" is added."))
    file_copy_unit = forms.CharField(label=_("File copies kept by"), max_length=200,
                                     required=False, help_text=_("Besides VT, e.g. VP"))
    copies = forms.IntegerField(label=_("Copies"), min_value=1, max_value=1000, initial=1)


class IncomingForm(UnitChoice):
    """An arrived document, as the clerk enters it."""

    author = forms.CharField(label=_("Issuing agency"), max_length=300)
    notation = forms.CharField(label=_("Number and notation"), max_length=80, required=False)
    document_date = forms.DateField(label=_("Document date"),
                                    widget=forms.DateInput(attrs={"type": "date"}))
    arrival_date = forms.DateField(label=_("Arrival date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    summary = forms.CharField(label=_("Summary"), max_length=1000)
    receiving_unit = forms.CharField(label=_("Receiving unit or person"), max_length=300,
                                     required=False)
    notes = forms.CharField(label=_("Notes"), max_length=1000, required=False)
    pdf = forms.FileField(
        label=_("The document's PDF"), required=False,
        help_text=_("A signed PDF as it arrived (its signatures are verified), or the scan "
                    "of a paper document (colour, 200 dpi or better)."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}))
    scanned = forms.BooleanField(label=_("The PDF is a scan of a paper document"),
                                 required=False)
    override_reason = forms.CharField(
        label=_("Reason to register it although its signature is not valid"),
        max_length=1000, required=False,
        help_text=_("Only when the verification refused it and you know why (kept in the "
                    "audit trail)."))


class AssignForm(ServiceErrors):
    """The leader gives an incoming document to an officer, with a deadline."""

    assignee = forms.ChoiceField(label=_("Officer"), required=False)
    working_days = forms.IntegerField(label=_("Deadline (working days)"), min_value=1,
                                      max_value=90, initial=10)
    instructions = forms.CharField(label=_("Instructions"), max_length=4000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, staff: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("the whole unit")), *staff]
