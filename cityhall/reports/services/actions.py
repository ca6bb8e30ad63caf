"""One handling action by its name, as the staff pages and the API both offer them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from cityhall.accounts.models import User
from cityhall.core.audit import Actor
from cityhall.orgunits.models import Unit
from cityhall.reports.errors import ReportCode, ReportError
from cityhall.reports.models import Report
from cityhall.reports.services.handling import (
    assign_report,
    merge_duplicate,
    reject_report,
    resolve_report,
    start_work,
    take_report,
    transfer_report,
)
from cityhall.workflow.engine import WorkflowCode

#: The handling actions a member of staff takes on one report, by name.
HANDLING_ACTIONS = ("take", "assign", "start_work", "resolve", "transfer", "reject", "merge")


def take_action(
    *, actor: Actor, report: Report, action: str, assignee: User | None = None,
    to_unit: Unit | None = None, original: Report | None = None, comment: str = "",
    reply: str = "", reason: str = "", responsible: str = "", photos: Sequence[Any] = (),
) -> bool:
    """Take the named handling action with the inputs it needs; whether it changed anything.

    Only an assignment can change nothing (to the person who has the report already);
    a missing input is refused.

    `comment` is the internal note (a transfer's reason), `reply` the public answer
    (resolve, reject), `reason` a rejection's reason code.
    """
    if action == "assign":
        if assignee is None:
            raise ReportError(ReportCode.UNKNOWN_ASSIGNEE, _("Choose who takes the report."))
        return assign_report(actor=actor, report=report, assignee=assignee,
                             comment=comment).changed
    if action == "take":
        take_report(actor=actor, report=report, comment=comment)
        return True
    if action == "start_work":
        start_work(actor=actor, report=report, comment=comment)
        return True
    if action == "resolve":
        resolve_report(actor=actor, report=report, reply=reply, photos=photos)
        return True
    if action == "transfer":
        if to_unit is None:
            raise ReportError(ReportCode.INVALID_TARGET, _("Choose the unit responsible."))
        transfer_report(actor=actor, report=report, to_unit=to_unit, reason=comment)
        return True
    if action == "reject":
        reject_report(actor=actor, report=report, reason=reason, reply=reply,
                      responsible=responsible)
        return True
    if action == "merge":
        if original is None:
            raise ReportError(ReportCode.INVALID_ORIGINAL,
                              _("Choose an earlier report you can see."))
        merge_duplicate(actor=actor, report=report, original=original, comment=comment)
        return True
    raise ReportError(WorkflowCode.UNKNOWN_ACTION, _("No such action."))


def find_staff(username: str) -> User | None:
    """The active account with this username (whom an action names as the assignee)."""
    return User.objects.filter(username=username, is_active=True).first() if username else None


def find_unit_in_service(code: str) -> Unit | None:
    """The unit in service with this code (where a transfer sends a report)."""
    return Unit.objects.active_on().filter(code=code).first() if code else None
