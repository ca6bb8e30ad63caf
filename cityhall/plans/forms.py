"""The "assign now" form: what, for which unit or person, due in how many working days."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cityhall.orgunits.models import Unit
from cityhall.plans import policy
from cityhall.plans.services import MAX_DEADLINE_DAYS


class AssignNowForm(forms.Form):
    """A leader gives a unit they lead (or one of its people) a task, due in working days."""

    title = forms.CharField(label=_("Task"), max_length=500)
    unit = forms.ChoiceField(label=_("Lead unit"))
    person = forms.CharField(label=_("Person in charge (user name, optional)"), max_length=150,
                             required=False)
    working_days = forms.IntegerField(label=_("Deadline in working days"), min_value=1,
                                      max_value=MAX_DEADLINE_DAYS, initial=5)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}),
                                  required=False, max_length=4000)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        led = policy.steered_units(user)
        # The units led and the units right under them: a department, a ward, its offices.
        units = (Unit.objects.active_on()
                 .filter(Q(pk__in=[u.pk for u in led]) | Q(parent__in=led))
                 .order_by("path")) if led else Unit.objects.none()
        field = cast(forms.ChoiceField, self.fields["unit"])
        field.choices = [(u.code, u.name) for u in units]
        self.fields["idempotency_key"].initial = secrets.token_urlsafe(16)

    @property
    def offered(self) -> bool:
        """Whether the user leads any unit (else the form is not shown)."""
        return bool(cast(forms.ChoiceField, self.fields["unit"]).choices)


class TargetForm(forms.Form):
    """A task's numeric target: how much, of what, by when."""

    value = forms.DecimalField(label=_("Target value"), min_value=Decimal("0.01"),
                               max_value=Decimal("99999999999999999"), max_digits=20,
                               decimal_places=2)
    measure = forms.CharField(label=_("Unit of measure (VND, %, records ...)"), max_length=32)
    by = forms.DateField(label=_("To reach by"), widget=forms.DateInput(attrs={"type": "date"}))


class TargetValueForm(forms.Form):
    """A value reached against the target, as of a day."""

    value = forms.DecimalField(label=_("Value reached"), min_value=Decimal(0),
                               max_value=Decimal("99999999999999999"), max_digits=20,
                               decimal_places=2)
    on = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))
