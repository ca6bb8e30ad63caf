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
from cityhall.plans.models import OriginKind
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
    # Where the task comes from (plans/origins.py) and where to go back to: from a report's
    # or a document's page; the service checks the origin again.
    origin_kind = forms.ChoiceField(widget=forms.HiddenInput, choices=OriginKind.choices,
                                    required=False)
    origin_ref = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    next = forms.CharField(widget=forms.HiddenInput, max_length=500, required=False)

    def __init__(self, *args: Any, user: Any, suggested: Unit | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["unit"])
        field.choices = unit_choices(user, suggested)
        self.fields["idempotency_key"].initial = secrets.token_urlsafe(16)

    @property
    def offered(self) -> bool:
        """Whether the user leads any unit (else the form is not shown)."""
        return bool(cast(forms.ChoiceField, self.fields["unit"]).choices)


def unit_choices(user: Any, suggested: Unit | None = None) -> list[tuple[str, str]]:
    """The units a leader gives tasks to on the pages: those they lead and the units right
    under them (a department, a ward, its offices), and the unit an origin suggests when
    they lead it or a unit above it."""
    led = policy.steered_units(user)
    units = list(Unit.objects.active_on()
                 .filter(Q(pk__in=[u.pk for u in led]) | Q(parent__in=led))
                 .order_by("path")) if led else []
    if suggested is not None and suggested not in units and policy.may_steer(user, suggested):
        units.insert(0, suggested)
    return [(u.code, u.name) for u in units]


class DirectiveRowForm(forms.Form):
    """One task of a directive: what, for which unit (or person), in how many working days."""

    title = forms.CharField(label=_("Task"), max_length=500, required=False)
    unit = forms.ChoiceField(label=_("Lead unit"), required=False)
    person = forms.CharField(label=_("Person in charge (user name, optional)"), max_length=150,
                             required=False)
    working_days = forms.IntegerField(label=_("Deadline in working days"), min_value=1,
                                      max_value=MAX_DEADLINE_DAYS, required=False)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [("", "—"), *units]

    @property
    def blank(self) -> bool:
        """A row left empty (not a task)."""
        data = getattr(self, "cleaned_data", {})
        return not (data.get("title") or "").strip() and not data.get("person")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("title") or "").strip() or data.get("person"):
            if not (data.get("title") or "").strip():
                self.add_error("title", _("Give the task a title."))
            if not data.get("unit") and not data.get("person"):
                self.add_error("unit", _("Name a unit or a member of its staff."))
            if not data.get("working_days"):
                self.add_error("working_days", _("Say in how many working days."))
        return data


class DirectiveForm(forms.Form):
    """The directive's own fields: the plan the tasks join (optional)."""

    plan = forms.TypedChoiceField(label=_("Into the plan (optional)"), coerce=int,
                                  required=False, empty_value=None)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=90)

    def __init__(self, *args: Any, plans: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["plan"]).choices = [
            ("", _("none: tasks on their own")), *plans]
        self.fields["idempotency_key"].initial = secrets.token_urlsafe(16)


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
