"""Writes of the workflow app outside the engine: the working-day calendar's exceptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core import audit
from cityhall.core.audit import Actor
from cityhall.workflow import calendar_data
from cityhall.workflow.audit_actions import WorkflowAudit
from cityhall.workflow.models import CalendarException

#: What `change_calendar_day` may change.
CALENDAR_DAY_FIELDS = ("date", "kind", "name")


def _snapshot(day: CalendarException) -> dict[str, Any]:
    return {"date": day.date.isoformat(), "kind": day.kind, "name": day.name}


def _save(day: CalendarException) -> None:
    day.name = day.name.strip()
    day.full_clean()
    day.save()
    # The calendar in force is cached per process; the signal empties it at save, and this
    # again after commit, so a rebuild in between cannot keep the old days for a minute.
    transaction.on_commit(calendar_data.clear_cache)


def add_calendar_day(*, actor: Actor, date: dt.date, kind: str, name: str) -> CalendarException:
    """Declare a day off, or a make-up working day, for deadlines city-wide; audited."""
    day = CalendarException(date=date, kind=kind, name=name)
    with transaction.atomic():
        _save(day)
        audit.record(actor=actor, action=WorkflowAudit.CALENDAR_ADD_DAY, obj=day,
                     changes=audit.diff({}, _snapshot(day)))
    return day


def change_calendar_day(
    *, actor: Actor, day: CalendarException, **changes: Any
) -> CalendarException:
    """Correct a calendar exception's date, kind or name; audited with before and after."""
    unknown = set(changes) - set(CALENDAR_DAY_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        before = _snapshot(day)
        for name, value in changes.items():
            setattr(day, name, value)
        if audit.diff(before, _snapshot(day)):
            _save(day)
            audit.record(actor=actor, action=WorkflowAudit.CALENDAR_CHANGE_DAY, obj=day,
                         changes=audit.diff(before, _snapshot(day)))
    return day


def remove_calendar_day(*, actor: Actor, day: CalendarException) -> None:
    """Take back a calendar exception: the day counts as the holidays and weekdays say."""
    with transaction.atomic():
        audit.record(actor=actor, action=WorkflowAudit.CALENDAR_REMOVE_DAY, obj=day,
                     changes={k: [v, None] for k, v in _snapshot(day).items()})
        day.delete()
        transaction.on_commit(calendar_data.clear_cache)
