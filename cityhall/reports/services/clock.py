"""Deadlines a report needs beyond the engine's defaults: the category's, and auto-close.

The engine computes a case's deadline from the definition and plans the next deadline rule
(remind, escalate, auto-close) on each transition; these helpers set a different deadline
and plan again with the engine's own planner, on the row the engine just wrote.
"""

from __future__ import annotations

import datetime as dt

from cityhall.reports.models import Report
from cityhall.workflow import definitions, engine
from cityhall.workflow.calendar_data import current_calendar

_SWEEP_FIELDS = ["due_at", "sweep_stage", "next_sweep_at"]


def set_deadline(report: Report, due_at: dt.datetime | None) -> None:
    """Give the report a case deadline and plan its reminders and escalation from it."""
    report.due_at = due_at
    spec = definitions.spec_of(report.workflow_id)
    report.sweep_stage, report.next_sweep_at = engine._schedule(
        report, spec, current_calendar(), engine.REMIND)
    Report.objects.filter(pk=report.pk).update(
        **{f: getattr(report, f) for f in _SWEEP_FIELDS})


def plan_auto_close(report: Report, resolved_at: dt.datetime) -> None:
    """Close a resolved report by itself the definition's working days after the reply."""
    spec = definitions.spec_of(report.workflow_id)
    auto = (spec.get("escalation") or {}).get("auto_close")
    if not auto:
        return
    report.sweep_stage = engine.AUTO_CLOSE
    report.next_sweep_at = current_calendar().add_working_days(
        resolved_at, int(auto["after_working_days"]))
    Report.objects.filter(pk=report.pk).update(
        sweep_stage=report.sweep_stage, next_sweep_at=report.next_sweep_at)


def deadline_from(start: dt.datetime, working_days: int) -> dt.datetime:
    """The moment `working_days` working days after `start`."""
    return current_calendar().add_working_days(start, working_days)
