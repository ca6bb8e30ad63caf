"""The forms of the reported indicators and of "assign now" from a red number."""

from __future__ import annotations

import secrets
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cityhall.accounts.models import Membership
from cityhall.indicators.models import Indicator, Source
from cityhall.indicators.reporting import SUBMITTING_ROLES
from cityhall.orgunits.models import Unit
from cityhall.plans import policy
from cityhall.plans.services import MAX_DEADLINE_DAYS


def reporting_units(user: Any, *, leaders_only: bool = False) -> list[Unit]:
    """The units `user` may report for (their own) or lead, and the units right under the
    ones they lead; only kinds that report some indicator."""
    kinds = {k for i in Indicator.objects.filter(source=Source.REPORTED)
             for k in (i.reporters or [])}
    led = policy.steered_units(user)
    own = [] if leaders_only else [m.unit_id for m in Membership.objects.active_on().filter(
        user=user, role__in=SUBMITTING_ROLES)]
    return list(Unit.objects.active_on().filter(
        Q(pk__in=[u.pk for u in led] + own) | Q(parent__in=led), kind__in=kinds)
        .defer("boundary").order_by("path"))


def _reported_choices() -> list[tuple[str, str]]:
    return [(i.code, i.name) for i in Indicator.objects.filter(source=Source.REPORTED)]


class ValueForm(forms.Form):
    """A unit's value of a reported indicator for a period."""

    indicator = forms.ChoiceField(label=_("Indicator"))
    unit = forms.ChoiceField(label=_("Reporting unit"))
    period = forms.CharField(label=_("Period (YYYY-MM, YYYY-Qn or YYYY)"), max_length=7)
    value = forms.DecimalField(label=_("Value"), max_digits=20, decimal_places=4)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["indicator"]).choices = _reported_choices()
        cast(forms.ChoiceField, self.fields["unit"]).choices = [(u.code, u.name) for u in units]


class TargetForm(forms.Form):
    """A unit's target for a reported indicator in a year."""

    indicator = forms.ChoiceField(label=_("Indicator"))
    unit = forms.ChoiceField(label=_("Unit"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    value = forms.DecimalField(label=_("Target"), max_digits=20, decimal_places=4)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["indicator"]).choices = _reported_choices()
        cast(forms.ChoiceField, self.fields["unit"]).choices = [(u.code, u.name) for u in units]


class ImportForm(forms.Form):
    """An XLSX file of values: indicator, unit, period, value, note."""

    file = forms.FileField(label=_("XLSX file"))


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class AssignFromFigureForm(forms.Form):
    """Step two of "assign now": the task as the leader confirms it."""

    title = forms.CharField(label=_("Task"), max_length=500)
    working_days = forms.IntegerField(label=_("Deadline in working days"), min_value=1,
                                      max_value=MAX_DEADLINE_DAYS, initial=5)
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = secrets.token_urlsafe(16)
