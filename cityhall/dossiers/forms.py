"""The online submission form: who applies, which ward decides, what is given as data held."""

from __future__ import annotations

import secrets
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cityhall.dossiers.errors import DossierError
from cityhall.orgunits.models import Unit
from cityhall.procedures.models import Level, Procedure, ProcedureComponent

#: Where a service refusal's field-keyed detail is shown.
_FIELDS = {"name": "applicant_name", "id_number": "id_number", "phone": "phone",
           "email": "email", "address": "address", "competent_unit": "competent_unit"}


class OnlineDossierForm(forms.Form):
    """A dossier submitted online by a resident's or an enterprise's account."""

    applicant_name = forms.CharField(label=_("Full name"), max_length=300)
    id_number = forms.CharField(label=_("Personal ID number or tax code"), max_length=20)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    competent_unit = forms.ChoiceField(
        label=_("Ward or commune that decides it"), required=False,
        help_text=_("Any ward or commune of the city may be chosen."))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.replaceable: list[tuple[int, ProcedureComponent]] = []
        if procedure.level == Level.COMMUNE:
            units = Unit.objects.active_on().commune_level().order_by("name")
            field = cast(forms.ChoiceField, self.fields["competent_unit"])
            field.choices = [("", _("choose")), *((u.code, u.name) for u in units)]
            field.required = True
        else:
            del self.fields["competent_unit"]
        self.parts: list[tuple[int, ProcedureComponent]] = []
        for number, part in enumerate(procedure.components.order_by("order"), start=1):
            self.parts.append((number, part))
            self.fields[f"file_{number}"] = forms.FileField(
                label=part.name, required=False,
                help_text=_("A scan (PDF) or a photo (JPEG, PNG)."),
                widget=forms.ClearableFileInput(attrs={
                    "accept": "application/pdf,image/jpeg,image/png"}))
            if part.data_source:
                self.replaceable.append((number, part))
                self.fields[f"use_data_{number}"] = forms.BooleanField(
                    label=_("Use the data already held instead"), required=False,
                    initial=True)
        self.initial.setdefault("idempotency_key", secrets.token_urlsafe(16))

    def component_rows(self) -> list[dict[str, Any]]:
        """Each component with its file field and, if the state holds it, its data box."""
        return [{"number": n, "part": part, "file": self[f"file_{n}"],
                 "use_data": self[f"use_data_{n}"] if part.data_source else None}
                for n, part in self.parts]

    def files_given(self) -> list[tuple[int, Any]]:
        """The components given as files (those not replaced by data held)."""
        chosen = {n for n, use in self.data_components() if use}
        return [(n, self.cleaned_data[f"file_{n}"]) for n, _part in self.parts
                if n not in chosen and self.cleaned_data.get(f"file_{n}")]

    def data_components(self) -> list[tuple[int, bool]]:
        """The replaceable components, and whether the applicant chose the data held."""
        return [(n, bool(self.cleaned_data.get(f"use_data_{n}"))) for n, _part in
                self.replaceable]

    def add_service_error(self, exc: DossierError) -> None:
        """Show a refusal of the dossier service on its field, or at the top."""
        if isinstance(exc.detail, dict):
            for key, message in exc.detail.items():
                name = _FIELDS.get(str(key))
                self.add_error(name if name in self.fields else None, str(message))
            return
        self.add_error(None, str(exc.detail))
