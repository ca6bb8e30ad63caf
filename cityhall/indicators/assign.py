""""Assign now" from a red number: a task for the responsible unit through the plans'
service, linked back to the indicator, the unit and the period."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils.http import urlencode

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.indicators.audit_actions import IndicatorAudit
from cityhall.indicators.models import Indicator, IndicatorTask
from cityhall.orgunits.models import Unit
from cityhall.plans import services as plans
from cityhall.plans.models import OriginKind, Task
from cityhall.plans.origins import Origin


def figure_link(indicator: Indicator, unit: Unit, first: dt.date, last: dt.date) -> str:
    """The dashboard view the number was read on."""
    return reverse("indicators:dashboard") + "?" + urlencode({
        "unit": unit.code, "from": first.isoformat(), "to": last.isoformat()}) + \
        f"#figure-{indicator.code}"


def assign_from_figure(*, actor: User, indicator: Indicator, unit: Unit, first: dt.date,
                       last: dt.date, value: float | None, title: str, working_days: int,
                       description: str = "", idempotency_key: str = "") -> Task:
    """Give `unit` a task about the indicator's number for the period (plans' `assign_now`
    tells the assignee); the task keeps the figure as its origin. PlanError as `assign_now`."""
    link = figure_link(indicator, unit, first, last)
    text = (description.strip() + "\n\n" if description.strip() else "") + \
        f"{indicator.name} · {unit.name} · {first.isoformat()} - {last.isoformat()}: {link}"
    with transaction.atomic():
        made = plans.assign_now(
            actor=actor, title=title, working_days=working_days, unit=unit, description=text,
            idempotency_key=idempotency_key,
            origin=Origin(kind=OriginKind.INDICATOR, ref=indicator.code[:64],
                          label=f"{indicator.name} · {unit.name} · {first.isoformat()} - "
                                f"{last.isoformat()}"[:300], url=link))
        if made.created:
            IndicatorTask.objects.create(task=made.task, indicator=indicator, unit=unit,
                                         first=first, last=last, value=value)
            audit.record(actor=actor, action=IndicatorAudit.ASSIGN_NOW, obj=made.task,
                         unit=unit, changes={"indicator": indicator.code,
                                             "period": [first.isoformat(), last.isoformat()],
                                             "value": value, "task": made.task.pk})
    return made.task
