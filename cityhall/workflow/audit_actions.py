"""The audit actions of `workflow`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class WorkflowAudit(AuditAction):
    """The engine and the working-day calendar.

    A transition is recorded under its definition's name, `workflow.<action>`
    (`core.audit.DefinedAction`), as definitions are data.
    """

    START = "workflow.start"
    SET_DEADLINE = "workflow.set_deadline"
    ESCALATE = "workflow.escalate"
    CALENDAR_ADD_DAY = "calendar.add_day"
    CALENDAR_CHANGE_DAY = "calendar.change_day"
    CALENDAR_REMOVE_DAY = "calendar.remove_day"
