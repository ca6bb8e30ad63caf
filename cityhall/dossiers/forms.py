"""The dossiers' web forms: online submission, the applicant's supplement and rating, the
counter's receipt; who applies, which unit decides, each component as a file, data held or
paper."""

from __future__ import annotations

import secrets
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cityhall.dossiers.errors import DossierError
from cityhall.dossiers.models import ApplicantKind
from cityhall.dossiers.services.submit import ComponentIn
from cityhall.orgunits.models import Unit, UnitKind
from cityhall.procedures.models import Level, Procedure, ProcedureComponent

#: Where a service refusal's field-keyed detail is shown.
_FIELDS = {"name": "applicant_name", "id_number": "id_number", "phone": "phone",
           "email": "email", "address": "address", "competent_unit": "competent_unit"}


def add_component_fields(form: Any, procedure: Procedure, *, use_data: bool,
                         paper: bool = False) -> list[tuple[int, ProcedureComponent]]:
    """Give `form` a file field per component of the procedure (`file_N`), a "use the data
    held" box for those the state holds (`use_data_N`, ticked if `use_data`) and, at a
    counter, a "paper checked" box (`paper_N`); the components by number."""
    parts: list[tuple[int, ProcedureComponent]] = []
    form.replaceable = []
    for number, part in enumerate(procedure.components.order_by("order"), start=1):
        parts.append((number, part))
        if paper:
            form.fields[f"paper_{number}"] = forms.BooleanField(
                label=_("Paper checked"), required=False)
        form.fields[f"file_{number}"] = forms.FileField(
            label=part.name, required=False,
            help_text=_("A scan (PDF) or a photo (JPEG, PNG)."),
            widget=forms.ClearableFileInput(attrs={
                "accept": "application/pdf,image/jpeg,image/png"}))
        if part.data_source:
            form.replaceable.append((number, part))
            form.fields[f"use_data_{number}"] = forms.BooleanField(
                label=_("Use the data already held instead"), required=False,
                initial=use_data)
    return parts


class ComponentFields:
    """What a form with `add_component_fields` gives back: its rows and what was chosen."""

    parts: list[tuple[int, ProcedureComponent]]
    replaceable: list[tuple[int, ProcedureComponent]]
    cleaned_data: dict[str, Any]

    def component_rows(self) -> list[dict[str, Any]]:
        """Each component with its file field, its data box and its paper box."""
        form = cast(forms.Form, self)
        return [{"number": n, "part": part, "file": form[f"file_{n}"],
                 "use_data": form[f"use_data_{n}"] if part.data_source else None,
                 "paper": form[f"paper_{n}"] if f"paper_{n}" in form.fields else None}
                for n, part in self.parts]

    def files_given(self) -> list[tuple[int, Any]]:
        """The components given as files (those not replaced by data held)."""
        chosen = {n for n, use in self.data_components() if use}
        return [(n, self.cleaned_data[f"file_{n}"]) for n, _part in self.parts
                if n not in chosen and self.cleaned_data.get(f"file_{n}")]

    def data_components(self) -> list[tuple[int, bool]]:
        """The replaceable components, and whether the data held was chosen."""
        return [(n, bool(self.cleaned_data.get(f"use_data_{n}"))) for n, _part in
                self.replaceable]

    def components(self, reference: str) -> list[ComponentIn]:
        """The components chosen: data held (under `reference`), files, papers checked."""
        given = [ComponentIn(number=n, data_reference=reference)
                 for n, chosen in self.data_components() if chosen]
        given += [ComponentIn(number=n, file=f) for n, f in self.files_given()]
        done = {c.number for c in given}
        given += [ComponentIn(number=n, paper=True) for n, _part in self.parts
                  if n not in done and self.cleaned_data.get(f"paper_{n}")]
        return sorted(given, key=lambda c: c.number)

    def add_service_error(self, exc: DossierError) -> None:
        """Show a refusal of the dossier service on its field, or at the top."""
        form = cast(forms.Form, self)
        if isinstance(exc.detail, dict):
            for key, message in exc.detail.items():
                name = _FIELDS.get(str(key))
                form.add_error(name if name in form.fields else None, str(message))
            return
        form.add_error(None, str(exc.detail))


class OnlineDossierForm(ComponentFields, forms.Form):
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
        if procedure.level == Level.COMMUNE:
            units = Unit.objects.active_on().commune_level().order_by("name")
            field = cast(forms.ChoiceField, self.fields["competent_unit"])
            field.choices = [("", _("choose")), *((u.code, u.name) for u in units)]
            field.required = True
        else:
            del self.fields["competent_unit"]
        self.parts = add_component_fields(self, procedure, use_data=True)
        self.initial.setdefault("idempotency_key", secrets.token_urlsafe(16))


class SupplementForm(ComponentFields, forms.Form):
    """The applicant answers a request to supplement: files, or the data held."""

    comment = forms.CharField(label=_("Note for the officer"), max_length=4000,
                              required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parts = add_component_fields(self, procedure, use_data=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"file_{n}") or data.get(f"use_data_{n}") for n, _p in self.parts):
            raise forms.ValidationError(_("Attach at least one paper, or use the data held."))
        return data


class RatingForm(forms.Form):
    """The applicant's rating of the service."""

    rating = forms.TypedChoiceField(
        label=_("How was the service?"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, _("5 - very satisfied")), (4, _("4 - satisfied")), (3, _("3 - fair")),
                 (2, _("2 - unsatisfied")), (1, _("1 - very unsatisfied"))])
    comment = forms.CharField(label=_("Comment"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class CounterDossierForm(ComponentFields, forms.Form):
    """A dossier received at a counter: who applies (from any ward), which unit decides,
    each component checked on paper, scanned, or replaced by data held."""

    applicant_kind = forms.ChoiceField(label=_("Applicant is"), choices=ApplicantKind.choices,
                                       initial=ApplicantKind.RESIDENT)
    applicant_name = forms.CharField(label=_("Full name"), max_length=300)
    id_number = forms.CharField(label=_("Personal ID number or tax code"), max_length=20)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(label=_("Address"), max_length=500, required=False,
                              help_text=_("The applicant may live in any ward."))
    on_behalf = forms.BooleanField(label=_("Brought by someone on the applicant's behalf"),
                                   required=False)
    receiving_unit = forms.ChoiceField(label=_("Counter of"))
    competent_unit = forms.ChoiceField(label=_("Unit that decides it"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, procedure: Procedure, counters: list[Unit],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        cast(forms.ChoiceField, self.fields["receiving_unit"]).choices = [
            (u.code, u.name) for u in counters]
        if len(counters) == 1:
            self.fields["receiving_unit"].widget = forms.HiddenInput()
            self.initial.setdefault("receiving_unit", counters[0].code)
        field = cast(forms.ChoiceField, self.fields["competent_unit"])
        if procedure.level == Level.COMMUNE:
            units = Unit.objects.active_on().commune_level().order_by("name")
            field.choices = [("", _("this counter's ward")),
                             *((u.code, u.name) for u in units)]
        else:
            units = Unit.objects.active_on().filter(
                kind__in=[UnitKind.DEPARTMENT, UnitKind.PROVINCE]).order_by("kind", "name")
            field.choices = [("", _("the City People's Committee")),
                             *((u.code, u.name) for u in units)]
        self.parts = add_component_fields(self, procedure, use_data=False, paper=True)
        self.initial.setdefault("idempotency_key", secrets.token_urlsafe(16))

